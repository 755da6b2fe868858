"""Engine: ``HookHandle``, a registered hook that can be taken back.

Both kinds of hook use it: a tensor's gradient hooks (``Tensor.register_hook``) and a
module's forward hooks (``Module.register_forward_hook``), as PyTorch's ``RemovableHandle``.
"""

from __future__ import annotations

from collections.abc import Callable


class HookHandle:
    """Returned by ``register_hook`` and ``register_forward_hook``; ``remove()`` detaches the hook again."""

    def __init__(self, hooks: list, hook: Callable):
        self.hooks = hooks
        self.hook = hook

    def remove(self) -> None:
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)
