"""The embedded AnalysisRun controller and its metric providers (Argo Rollouts v1.9.1 logic).

`controller.AnalysisRunController` reconciles AnalysisRuns; `providers` take measurements
(web, job, prometheus); `jsonpath` and `gojson` reproduce the Go libraries upstream relies on.
"""
