"""Names and paths: Keras-style unique names (`dense`, `dense_1`, ...), and matching
globs or regexes against variable paths (`"block1/*"`)."""

from __future__ import annotations

import fnmatch
import re
import threading
from collections import defaultdict

_counters: dict[str, int] = defaultdict(int)
_uids: dict[str, int] = defaultdict(int)


def to_snake_case(name: str) -> str:
    """Keras's rule, digits included: `Conv2D` -> `conv2d`, `MaxPooling1D` -> `max_pooling1d`."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name)
    return name.lower()


def unique_name(base: str) -> str:
    """The first free name in the sequence `base`, `base_1`, `base_2`, ..."""
    count = _counters[base]
    _counters[base] += 1
    return base if count == 0 else f"{base}_{count}"


def get_uid(prefix: str = "") -> int:
    """1, 2, 3, ... per prefix, as Keras's `backend.get_uid` (reset by `clear_session`)."""
    _uids[prefix] += 1
    return _uids[prefix]


def clear_session() -> None:
    """Reset the name counters and open scopes, as `keras.backend.clear_session()` does."""
    _counters.clear()
    _uids.clear()
    _scopes.stack = []
    for reset in _on_clear:
        reset()


_on_clear: list = []


def on_clear_session(reset):
    """Have `clear_session()` call `reset` too (global state kept in another module: the
    open `RematScope`s)."""
    _on_clear.append(reset)
    return reset


# --- name scopes: a prefix for the paths of the variables created inside -------------------
_scopes = threading.local()


class name_scope:
    """A sub-namespace for variable paths, as Keras 3's `keras.name_scope`.

    Variables created inside (`Variable(...)`, a layer's weights when it builds)
    get the scope in their path: `with name_scope("block1"):` makes
    `block1/dense/kernel`. Also a `jax.named_scope`, so profiles show it.

    Args:
        name: the scope's name (no `/`).
        caller: the object opening it (a layer), for `deduplicate`.
        deduplicate: with `caller`, do not nest a scope of the same name opened by
            the same caller directly inside itself.
        override_parent: an absolute path that replaces the enclosing scopes.
    """

    def __init__(self, name, caller=None, deduplicate: bool = True, override_parent=None):
        if not isinstance(name, str) or "/" in name:
            raise ValueError("Argument `name` must be a string and cannot contain character "
                             f"`/`. Received: name={name}")
        self.name, self.caller, self.deduplicate = name, caller, deduplicate
        self.override_parent = override_parent
        if override_parent is None and deduplicate and \
                getattr(caller, "_parent_path", None) is not None:
            self.override_parent = caller._parent_path
        self._pop_on_exit = False
        self._jax_scope = None

    def __enter__(self):
        stack = _scope_stack()
        if self.deduplicate and stack and self.caller is not None and \
                stack[-1].caller is self.caller and stack[-1].name == self.name:
            return self
        stack.append(self)
        self._pop_on_exit = True
        import jax  # the profiler's scope; jax is loaded by then in any program that builds
        self._jax_scope = jax.named_scope(self.name)
        self._jax_scope.__enter__()
        return self

    def __exit__(self, *args):
        if self._pop_on_exit:
            stack = _scope_stack()
            if stack:
                stack.pop()
            self._pop_on_exit = False
            self._jax_scope.__exit__(*args)


def _scope_stack() -> list:
    if not hasattr(_scopes, "stack"):
        _scopes.stack = []
    return _scopes.stack


def current_path() -> str:
    """The open name scopes as a path prefix (`"outer/inner"`; `""` outside any)."""
    parts: list[str] = []
    for scope in _scope_stack():
        if scope.override_parent is not None:
            parts = [p for p in scope.override_parent.split("/") if p]
        parts.append(scope.name)
    return "/".join(parts)


def scoped(path: str) -> str:
    """`path` under the open name scopes."""
    prefix = current_path()
    return f"{prefix}/{path}" if prefix else path


def path_matches(pattern, path: str) -> bool:
    """Whether a glob (`"block1/*"`, on the whole path) or a compiled regex (searched)
    matches a variable path."""
    if isinstance(pattern, re.Pattern):
        return pattern.search(path) is not None
    return fnmatch.fnmatchcase(path, pattern)


def first_match(patterns: dict, path: str):
    """The value of the first glob/regex key of `patterns` that matches `path`, else None."""
    for pattern, value in patterns.items():
        if path_matches(pattern, path):
            return value
    return None
