# The two commands a newcomer needs (see README.md):
#   make run   — install, migrate, load the demo company, serve on http://127.0.0.1:8000
#   make test  — lint, type-check, the whole suite on SQLite and PostgreSQL, browser tests
.PHONY: run test lint

run:
	@scripts/run

test:
	@scripts/test
