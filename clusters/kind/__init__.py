"""The kind backend: a local kubeadm cluster in Docker with the real Argo Rollouts controller."""
