"""The sample FastAPI task-planning agent: the workload every lab deploys.

Entry points: `python -m agent serve|check`, `python -m agent.traffic`; in Python,
`agent.app.create_app`, `agent.server.ServerThread`, `agent.mix.standard_mix` and
`agent.traffic.run_traffic`. Nothing is imported here, so each entry point loads only what it
needs (the check command and traffic generator do not load FastAPI or uvicorn).
"""

__all__: list[str] = []
