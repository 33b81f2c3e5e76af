"""Method descriptors shared by ``Sandbox`` and ``AsyncSandbox``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import MethodType
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

S = TypeVar("S")
P = ParamSpec("P")
R = TypeVar("R")


class dual(Generic[S, P, R]):
    """A sandbox method that also works on the class with a sandbox ID first (E2B's static variants).

    ``sbx.kill()`` and ``Sandbox.kill(sandbox_id, api_key=..., domain=...)`` run the same code: the
    class form attaches to the sandbox without a request (through the owner's ``_detached``), runs
    the method and releases the connection again.
    """

    def __init__(self, method: Callable[Concatenate[S, P], R]) -> None:
        self._method = method
        functools.update_wrapper(self, method)  # type: ignore[arg-type]

    @overload
    def __get__(self, obj: None, owner: type[S]) -> Callable[..., R]: ...
    @overload
    def __get__(self, obj: S, owner: type[S] | None = None) -> Callable[P, R]: ...
    def __get__(self, obj: S | None, owner: type[S] | None = None) -> Callable[..., R]:
        if obj is not None:
            return MethodType(self._method, obj)
        detached: Callable[..., R] = functools.partial(owner._detached, self._method)  # type: ignore[union-attr]
        return functools.update_wrapper(detached, self._method)


class alias(Generic[P, R]):
    """``sbx.run_command(...)`` is ``sbx.commands.run(...)``: declaw's inline names for sub-module methods."""

    def __init__(self, module: str, method: Callable[Concatenate[Any, P], R]) -> None:
        self._module = module
        self._name = method.__name__
        self.__doc__ = f"Same as ``sandbox.{module}.{self._name}(...)``."

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> alias[P, R]: ...
    @overload
    def __get__(self, obj: object, owner: type[Any] | None = None) -> Callable[P, R]: ...
    def __get__(self, obj: object, owner: type[Any] | None = None) -> alias[P, R] | Callable[P, R]:
        if obj is None:
            return self
        target: Callable[P, R] = getattr(getattr(obj, self._module), self._name)
        return target


class either(Generic[P, R]):
    """A method whose class form takes other arguments (E2B's ``class_method_variant`` where they differ):
    ``sbx.m(...)`` runs the method; ``Sandbox.m(...)`` is the owner's class method named ``class_form``."""

    def __init__(self, class_form: str, method: Callable[Concatenate[Any, P], R]) -> None:
        self._class_form = class_form
        self._method = method
        functools.update_wrapper(self, method)  # type: ignore[arg-type]

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Callable[..., Any]: ...
    @overload
    def __get__(self, obj: object, owner: type[Any] | None = None) -> Callable[P, R]: ...
    def __get__(self, obj: object, owner: type[Any] | None = None) -> Callable[..., Any]:
        if obj is None:
            class_form: Callable[..., Any] = getattr(owner, self._class_form)
            return class_form
        return MethodType(self._method, obj)
