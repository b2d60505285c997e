"""Sub-commands of the `unspin` CLI, one module per area."""
