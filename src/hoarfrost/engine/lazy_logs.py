"""Logs that callbacks read only when they look: computed from the device on first use."""

from __future__ import annotations


class LazyLogs(dict):
    """Logs computed (a device read) only if a callback looks at them."""

    def __init__(self, load):
        super().__init__()
        self._loader = load

    def _load(self):
        if self._loader is not None:
            loader, self._loader = self._loader, None
            self.update(loader())

    def __getitem__(self, key):
        self._load()
        return super().__getitem__(key)

    def __contains__(self, key):
        self._load()
        return super().__contains__(key)

    def get(self, key, default=None):
        self._load()
        return super().get(key, default)

    def items(self):
        self._load()
        return super().items()

    def keys(self):
        self._load()
        return super().keys()

    def values(self):
        self._load()
        return super().values()

    def copy(self):
        self._load()
        return dict(super().items())

    def __iter__(self):
        self._load()
        return super().__iter__()

    def __len__(self):
        self._load()
        return super().__len__()

    def __repr__(self):
        self._load()
        return super().__repr__()
