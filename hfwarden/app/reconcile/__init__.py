"""The pass: gather what the API and the state store say, ask the core, carry its decisions out, record."""
