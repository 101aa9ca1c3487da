"""The Efficient GlobalPointer head: GlobalPointer with shared query/key projections."""

from tf_ner.tasks.ner.heads.global_pointer import GlobalPointerHead


class EfficientGlobalPointerHead(GlobalPointerHead):
    """As `GlobalPointerHead`, with `EfficientGlobalPointer` (Su, 2022): one projection
    for all types plus a per-type bias, far fewer weights."""

    name = "efficient_globalpointer"

    def layer_class(self):
        from tf_ner.layers import EfficientGlobalPointer

        return EfficientGlobalPointer


HEAD = EfficientGlobalPointerHead()
