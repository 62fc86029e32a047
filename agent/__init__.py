"""The sample FastAPI task-planning agent: the workload every lab deploys."""
