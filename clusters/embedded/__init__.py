"""The embedded cluster: our Kubernetes API server, controllers and process kubelet."""
