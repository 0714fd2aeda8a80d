"""Schemathesis hooks for scripts/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

`positive_data_acceptance_athena` replaces the built-in ST202 check (`positive_data_acceptance`): the same check, except
that a 400 whose envelope `code` is one of DATA_DEPENDENT is accepted. Those refusals depend on what the target
database or the catalog holds (its tables' columns and types, existing rights, pipeline templates) or on the one
global text rule written in the document (no NUL character in text that reaches a database); no OpenAPI schema of
a multi-database gateway can state them. Every other 4xx on schema-valid data still fails the run.
"""

import json

import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance
from schemathesis.openapi.checks import RejectedPositiveData

DATA_DEPENDENT = frozenset(
    {
        "unknown_column",  # the table has no such column
        "invalid_value",  # a value does not fit the column's type
        "invalid_query",  # an operator does not apply to the column's type
        "not_null_violation",  # the table's NOT NULL constraints
        "check_violation",  # the table's CHECK constraints
        "limit_exceeded",  # PostgreSQL limits (e.g. arrays nested deeper than 6 dimensions in a value)
        "sql_syntax_error",  # raw SQL text (POST /gateway/query, /query/sql)
        "driver_backend_mismatch",  # /query/sql: the driver must match the named client's backend
        "unknown_rights",  # API-key rights must exist in the catalog
        "unknown_pipeline",  # pipeline templates come from the pipelines file
        "nul_character",  # the document's rule: no NUL (\\u0000) in text that reaches a database
        "expires_at_in_past",  # API-key expiry must be in the future: depends on the clock
    }
)
# Row keys (insert_body / update_body) must be column names; OpenAPI 3.0 (JSON Schema draft 4) has no
# `propertyNames`, so the schema cannot say it. Only these invalid_identifier refusals are data-dependent.
ROW_KEY_MARKERS = ('in "insert_body"', 'in "update_body"')


def _envelope(response):
    try:
        body = json.loads(response.content)
    except (ValueError, TypeError):
        return {}
    return body if isinstance(body, dict) else {}


def _names_no_client(case):
    """POST /query/sql: the client comes from the X-Athena-Client header or the body's db_name (one of the two; a
    rule across two locations that OpenAPI cannot state)."""
    headers = {k.lower(): v for k, v in (case.headers or {}).items()}
    db_name = case.body.get("db_name") if isinstance(case.body, dict) else None
    return not headers.get("x-athena-client") and not (isinstance(db_name, str) and db_name.strip())


INT32_MAX = 2147483647


def _page_offset_overflows(case):
    """Fetch paging: (current_page - 1) * page_size must not exceed 2^31 - 1 (a product of two fields, which JSON
    Schema cannot bound; the document says it in current_page's description)."""
    source = case.body if isinstance(case.body, dict) else (case.query or {})
    try:
        page = int(source.get("current_page") or 1)
        size = int(source.get("page_size") or 0)
    except (TypeError, ValueError):
        return False
    return (page - 1) * size > INT32_MAX


def _data_dependent(response, case):
    if response.status_code != 400:
        return False
    body = _envelope(response)
    code = body.get("code")
    if code in DATA_DEPENDENT:
        return True
    if code == "missing_client_header" and case.operation.label == "POST /query/sql":
        return _names_no_client(case)
    if code == "invalid_limit" and "Page offset" in str(body.get("message", "")):
        return _page_offset_overflows(case)
    message = str(body.get("message", ""))
    return code == "invalid_identifier" and any(m in message for m in ROW_KEY_MARKERS)


@schemathesis.check
def positive_data_acceptance_athena(ctx, response, case):
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if _data_dependent(response, case):
            return None
        raise
