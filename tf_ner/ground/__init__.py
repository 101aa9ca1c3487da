"""Ground floor: small helpers any floor of the package may use.

`files` (atomic writes), `lazy` (namespaces whose names import on first use),
`masking` (dtype-aware masks), `span_cells` (the GlobalPointer decoder), `registry`
(named variants, built in or from other packages), `errors` (the package's own
errors), `settings` (dataclass settings that are also flags), `quiet` (TensorFlow's
import without its start-up chatter). Nothing here imports another floor.
"""
