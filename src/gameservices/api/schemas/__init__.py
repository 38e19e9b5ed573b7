"""Request and response models of API v1, one module per controller (shape, types, enums and limits)."""
