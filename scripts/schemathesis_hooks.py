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
        "unknown_rights",  # API-key rights must exist in the catalog
        "unknown_pipeline",  # pipeline templates come from the pipelines file
        "nul_character",  # the document's rule: no NUL (\\u0000) in text that reaches a database
    }
)


def _code(response):
    try:
        body = json.loads(response.content)
    except (ValueError, TypeError):
        return None
    return body.get("code") if isinstance(body, dict) else None


@schemathesis.check
def positive_data_acceptance_athena(ctx, response, case):
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if response.status_code == 400 and _code(response) in DATA_DEPENDENT:
            return None
        raise
