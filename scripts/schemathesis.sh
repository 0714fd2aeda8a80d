#!/usr/bin/env bash
# Fuzzes the gateway's own OpenAPI document with Schemathesis (PyPI) against a gateway started from dist/ on the
# real services: a scratch control-plane database and a scratch data database (client `local`, tables named by the
# spec's examples) on ATHENA_TEST_PG_URI, Redis from ATHENA_TEST_REDIS_URL when set, and moto (S3) for the backup
# routes (ATHENA_TEST_MOTO_BIN, as .ci/run installs it). Every operation, fixed seed, bounded examples.
# Fails on any 5xx, response-schema violation, and ST201/ST202/ST103-class disagreement between spec and server;
# scripts/schemathesis_hooks.py lists the data-dependent 400 codes a schema-valid request may still get.
# Needs `npm run build` first. Env: ATHENA_TEST_PG_URI (required), ATHENA_SCHEMATHESIS_MAX_EXAMPLES (default 20),
# ATHENA_SCHEMATHESIS_SEED (default 16), ATHENA_SCHEMATHESIS_VERBOSE=1 (print the whole report even when green). Last line: `schemathesis: N operations, M test cases, K failures (T s)`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

ST_VERSION=4.32.5
ST_VENV=/var/tmp/athena-ci-schemathesis
PG_URI=${ATHENA_TEST_PG_URI:?ATHENA_TEST_PG_URI is required}
SEED=${ATHENA_SCHEMATHESIS_SEED:-16}
MAX_EXAMPLES=${ATHENA_SCHEMATHESIS_MAX_EXAMPLES:-20}
CLI="$ROOT/dist/apps/athena/apps/athena/src/cli.js"
[[ -f "$CLI" ]] || { echo "schemathesis: $CLI missing (run npm run build)" >&2; exit 1; }

# ---------------------------------------------------------------- Schemathesis in its own virtualenv (idempotent)
if [[ -x "$ST_VENV/bin/schemathesis" ]] && "$ST_VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('schemathesis') != '${ST_VERSION}')" 2>/dev/null; then
  echo "schemathesis ${ST_VERSION} already installed in ${ST_VENV}"
else
  python3 -m venv --clear "$ST_VENV"
  "$ST_VENV/bin/python" -m pip install -q --disable-pip-version-check "schemathesis==${ST_VERSION}" </dev/null
fi

# ---------------------------------------------------------------- scratch databases
SUFFIX="$$_$(date +%s)"
CP_DB="athena_st_cp_${SUFFIX}"
DATA_DB="athena_st_data_${SUFFIX}"
WORK=$(mktemp -d /tmp/athena-schemathesis.XXXXXX)
GW_PID=""
MOTO_PID=""
db_uri() { node -e 'const u = new URL(process.argv[1]); u.pathname = "/" + process.argv[2]; console.log(u.toString())' "$PG_URI" "$1"; }
psql_admin() { psql "$PG_URI" -X -q -v ON_ERROR_STOP=1 "$@"; }
cleanup() {
  local rc=$?
  if [[ -n "$GW_PID" ]] && kill -0 "$GW_PID" 2>/dev/null; then
    kill -TERM "$GW_PID" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$GW_PID" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$GW_PID" 2>/dev/null || true
  fi
  if [[ -n "$MOTO_PID" ]]; then kill -TERM "$MOTO_PID" 2>/dev/null || true; wait "$MOTO_PID" 2>/dev/null || true; fi
  for db in "$CP_DB" "$DATA_DB"; do psql_admin -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true; done
  if [[ $rc -ne 0 && -f "$WORK/gateway.log" ]]; then echo "--- last gateway log lines"; tail -n 20 "$WORK/gateway.log"; fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

psql_admin -c "CREATE DATABASE \"$CP_DB\"" -c "CREATE DATABASE \"$DATA_DB\""
CP_URI=$(db_uri "$CP_DB")
DATA_URI=$(db_uri "$DATA_DB")
# The tables and columns the spec's examples name (orders, items, users), with a few rows.
psql "$DATA_URI" -X -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE orders (id bigserial PRIMARY KEY, status text, amount numeric, created_at timestamptz NOT NULL DEFAULT now());
INSERT INTO orders (status, amount, created_at) SELECT (ARRAY['open','closed'])[1 + i % 2], i * 2.5, now() - i * interval '1 day' FROM generate_series(1, 20) i;
CREATE TABLE items (id bigserial PRIMARY KEY, name text, qty integer, created_at timestamptz NOT NULL DEFAULT now());
INSERT INTO items (name, qty) VALUES ('apple', 3), ('pear', 1), ('plum', 7);
CREATE TABLE users (id bigserial PRIMARY KEY, name text, email text, status text, created_at timestamptz NOT NULL DEFAULT now());
INSERT INTO users (name, email, status) VALUES ('Ada', 'ada@example.com', 'open');
CREATE TABLE items_copy (id bigint, name text, qty integer, created_at timestamptz);
SQL
# The pipeline template the spec's example names.
cat >"$WORK/pipelines.yaml" <<'YAML'
pipelines:
  - name: copy_items
    source: { table_name: items }
    sink: { table_name: items_copy }
YAML

# ---------------------------------------------------------------- S3 (moto) for the backup routes
# moto_server as installed by .ci/run (ATHENA_TEST_MOTO_BIN), so /admin/backups* run real jobs against real S3 calls.
MOTO_BIN=${ATHENA_TEST_MOTO_BIN:-/var/tmp/athena-ci-moto/bin/moto_server}
[[ -x "$MOTO_BIN" ]] || { echo "schemathesis: moto_server not found at $MOTO_BIN (set ATHENA_TEST_MOTO_BIN; .ci/run installs it)" >&2; exit 1; }
free_port() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }
MOTO_PORT=$(free_port)
"$MOTO_BIN" -H 127.0.0.1 -p "$MOTO_PORT" >"$WORK/moto.log" 2>&1 &
MOTO_PID=$!
S3="http://127.0.0.1:${MOTO_PORT}"
for _ in $(seq 1 60); do curl -fsS -o /dev/null "$S3/" 2>/dev/null && break; sleep 0.5; done
curl -fsS -o /dev/null -X PUT "$S3/athena-st-backups" || { echo "schemathesis: moto does not answer on $S3" >&2; exit 1; }

# ---------------------------------------------------------------- gateway
PORT=$(free_port)
ATHENA_KEY_12=${ATHENA_KEY_12:-$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')}
export ATHENA_KEY_12
cat >"$WORK/config.yaml" <<YAML
api:
  port: ${PORT}
  host: 127.0.0.1
  request_timeout_ms: 10000
gateway:
  logging_pg_uri: "${CP_URI}"
  pipelines_path: "${WORK}/pipelines.yaml"
  run_migrations: true
  health_cluster:
    timeout_ms: 1000
postgres_clients:
  local: "${DATA_URI}"
redis:
  url: "${ATHENA_TEST_REDIS_URL:-}"
logging:
  level: warn
  file_sinks: false
  directory: "${WORK}/logs"
embedded:
  enabled: false
backup:
  bucket: athena-st-backups
  endpoint: "${S3}"
  region: us-east-1
  force_path_style: true
  access_key_id: schemathesis
  secret_access_key: schemathesis
  wait_ms: 5000
YAML
ATHENA_DATA_DIR="$WORK/data" node "$CLI" server --config "$WORK/config.yaml" >"$WORK/gateway.log" 2>&1 &
GW_PID=$!
BASE="http://127.0.0.1:${PORT}"
for _ in $(seq 1 120); do
  curl -fsS "$BASE/ready" >/dev/null 2>&1 && break
  kill -0 "$GW_PID" 2>/dev/null || { echo "schemathesis: the gateway exited at start" >&2; exit 1; }
  sleep 0.5
done
curl -fsS "$BASE/ready" >/dev/null || { echo "schemathesis: the gateway is not ready on $BASE" >&2; exit 1; }
echo "gateway ready on $BASE (control plane $CP_DB, data client local → $DATA_DB)"
# A gateway API key holding every right, declared through the apiKey scheme: gateway routes stay reachable even
# after the fuzzer turns enforcement on through PUT /admin/api-key-config.
admin_post() { curl -fsS -X POST "$BASE$1" -H "X-Athena-Admin-Key: $ATHENA_KEY_12" -H 'Content-Type: application/json' -d "$2"; }
admin_post /admin/api-key-rights '{"name":"*"}' >/dev/null 2>&1 || true # 409 when the migrations seeded it
ATHENA_ST_API_KEY=$(admin_post /admin/api-keys '{"name":"schemathesis","rights":["*"]}' | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>console.log(JSON.parse(s).data.api_key))')
export ATHENA_ST_API_KEY
# A scratch client for the routes that reconfigure, freeze or delete the client they name (schemathesis.toml pins
# their client_name to it), so the data client `local` keeps serving the gateway routes for the whole run.
admin_post /admin/clients "{\"client_name\":\"st_scratch\",\"pg_uri\":\"${DATA_URI}\"}" >/dev/null
# Likewise a scratch API key for PATCH/DELETE /admin/api-keys/{id}, so the fuzzer never revokes the run's own key.
ATHENA_ST_SCRATCH_KEY_ID=$(admin_post /admin/api-keys '{"name":"st_scratch","rights":[]}' | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>console.log(JSON.parse(s).data.record.id))')
export ATHENA_ST_SCRATCH_KEY_ID

# ---------------------------------------------------------------- run
# Checks (schemathesis.toml, so that [[operations]] entries can refine them): not_a_server_error,
# status_code_conformance, content_type_conformance, response_headers_conformance, response_schema_conformance,
# positive_data_acceptance_athena (ST202, the spec allows and the server refuses: the built-in check, except for the
# data-dependent 400 codes listed in scripts/schemathesis_hooks.py), negative_data_rejection (ST201: the spec
# forbids, the server accepts), missing_required_header, ignored_auth (ST401, the admin key goes through the adminKey
# scheme), unsupported_method (ST204: undeclared methods on known paths answer 405 with Allow).
# Not run: use_after_free / ensure_resource_availability (stateful links between operations are not declared).
cat >"$WORK/schemathesis.toml" <<'TOML'
[auth.openapi.adminKey]
api_key = "${ATHENA_KEY_12}"

[auth.openapi.apiKey]
api_key = "${ATHENA_ST_API_KEY}"

[checks]
enabled = false
not_a_server_error.enabled = true
status_code_conformance.enabled = true
content_type_conformance.enabled = true
response_headers_conformance.enabled = true
response_schema_conformance.enabled = true
positive_data_acceptance_athena.enabled = true
negative_data_rejection.enabled = true
missing_required_header.enabled = true
ignored_auth.enabled = true
unsupported_method.enabled = true

# These routes reconfigure, freeze or delete the client they name: they get the scratch client, never `local`.
[[operations]]
include-path-regex = "^/admin/clients/[{]client_name[}](/freeze)?$"
parameters = { "client_name" = "st_scratch" }

[[operations]]
include-path-regex = "^/admin/api-keys/[{]id[}]$"
parameters = { "id" = "${ATHENA_ST_SCRATCH_KEY_ID}" }

# Provisioning connects to the database the caller names; a fuzzed uri names no reachable server and gets the
# documented 503 provision_target_unavailable (Retry-After). Every other check still runs on this operation.
[[operations]]
include-name = "POST /admin/provision"
checks.not_a_server_error.enabled = false
TOML
set +e
# Run from the scratch dir: Schemathesis writes its cache (.schemathesis/) into the working directory.
(cd "$WORK" && SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$ROOT/scripts" \
  "$ST_VENV/bin/schemathesis" --no-color --config-file "$WORK/schemathesis.toml" run "$BASE/openapi.json" --seed "$SEED" --max-examples "$MAX_EXAMPLES" --request-timeout 10 \
  --phases examples,coverage,fuzzing --workers 1 --generation-database none \
  --report junit --report-dir "$WORK/report") >"$WORK/st.log" 2>&1
ST_RC=$?
set -e
# The full report goes to the terminal only when the run fails or ATHENA_SCHEMATHESIS_VERBOSE=1: its pytest-style
# footer ("=== N warnings in T s ===") would otherwise be the last test summary in CI's log, after jest's.
if [[ "$ST_RC" -ne 0 || "${ATHENA_SCHEMATHESIS_VERBOSE:-0}" == 1 ]]; then
  cat "$WORK/st.log"
else
  grep -E '^ *(✅|❌|⚠️)' "$WORK/st.log" || true
fi
OPS=$(grep -oE 'Tested: [0-9]+' "$WORK/st.log" | tail -n 1 | grep -oE '[0-9]+' || echo 0)
CASES=$(grep -oE '[0-9]+ generated' "$WORK/st.log" | tail -n 1 | grep -oE '[0-9]+' || echo 0)
FAILURES=$(grep -oE '[0-9]+ failures?' "$WORK/st.log" | tail -n 1 | grep -oE '[0-9]+' || echo 0)
SECS=$(grep -oE ' in [0-9.]+s =+$' "$WORK/st.log" | tail -n 1 | grep -oE '[0-9.]+' || echo '?')
echo "schemathesis: ${OPS} operations, ${CASES} test cases, ${FAILURES} failures (seed ${SEED}, ${SECS} s, exit ${ST_RC})"
exit "$ST_RC"
