"""The OpenAPI document describes request bodies as strictly as the API checks them.

Litestar 2 renders a ``msgspec`` struct's fields from their Python types and drops what the
decoder enforces beyond them: ``forbid_unknown_fields`` (unknown fields are refused with 400),
the pattern or enumeration of a mapping's keys (``ceilings_cents`` takes years, ``base_cents``
domains), the bounds of a mapping's values and of a list's items. msgspec's own JSON schema of
the same struct says all of that, so for every request body (a struct that forbids unknown
fields) :class:`RequestBodySchemaPlugin` takes each field's schema from msgspec and adds
``additionalProperties: false``; a field that refers to another struct keeps Litestar's
reference, so every struct stays one component.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

# the struct plugin every Litestar 2 app uses; extended here rather than copied
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar._openapi.schema_generation.schema import SchemaCreator
from litestar.openapi.spec import OpenAPIFormat, OpenAPIType, Schema
from litestar.typing import FieldDefinition

__all__ = ["RequestBodySchemaPlugin", "schema_from_json"]

REF_TEMPLATE = "#/components/schemas/{name}"
_SCHEMA_LISTS = {"allOf", "anyOf", "oneOf", "prefixItems"}
_SCHEMA_MAPS = {"properties", "patternProperties", "dependentSchemas"}
_SCHEMAS = {"items", "additionalProperties", "propertyNames", "not", "contains"}


def schema_from_json(value: dict[str, Any]) -> Schema:
    """A JSON schema (as msgspec writes it, without references) as Litestar's ``Schema``."""
    aliases = Schema.field_aliases()
    kwargs: dict[str, Any] = {}
    for key, item in value.items():
        if key in _SCHEMA_LISTS:
            item = [schema_from_json(x) for x in item]
        elif key in _SCHEMA_MAPS:
            item = {k: schema_from_json(v) for k, v in item.items()}
        elif key in _SCHEMAS and isinstance(item, dict):
            item = schema_from_json(item)
        elif key == "type":
            item = OpenAPIType(item) if isinstance(item, str) else [OpenAPIType(t) for t in item]
        elif key == "format":
            item = OpenAPIFormat(item)
        kwargs[aliases.get(key, key)] = item
    return Schema(**kwargs)


def _forbids_unknown_fields(field_definition: FieldDefinition) -> bool:
    config = getattr(field_definition.type_, "__struct_config__", None)
    return bool(getattr(config, "forbid_unknown_fields", False))


class RequestBodySchemaPlugin(StructSchemaPlugin):
    """A request body struct described by msgspec's own schema, closed to unknown fields."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return super().is_plugin_supported_field(field_definition) and _forbids_unknown_fields(
            field_definition
        )

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        struct = field_definition.type_
        _, components = msgspec.json.schema_components([struct], ref_template=REF_TEMPLATE)
        properties = dict(schema.properties or {})
        for name, own in components[struct.__name__].get("properties", {}).items():
            if "$ref" not in json.dumps(own):
                properties[name] = schema_from_json(own)
        schema.properties = properties
        schema.additional_properties = False
        return schema
