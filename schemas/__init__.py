"""The JSON Schema of the spec (packaged data)."""
