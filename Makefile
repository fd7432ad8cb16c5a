# The two commands a newcomer needs (see README.md):
#   make run   — install, migrate, load the demo company, serve on http://127.0.0.1:8000
#   make test  — lint, type-check, the whole suite on SQLite and PostgreSQL, browser tests
.PHONY: run test messages

run:
	@scripts/run

test:
	@scripts/test

# Refresh every catalogue (each app's own locale/, and xietong/locale/ for the files outside apps)
# after adding strings; then translate zh_Hans.
messages:
	cd xietong && ../.venv/bin/python ../manage.py makemessages -l zh_Hans -l en --no-location --no-wrap --ignore=tests --ignore="*/tests/*"
