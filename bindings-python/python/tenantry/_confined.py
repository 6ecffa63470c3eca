"""``ConfinedCollection``: a tenant's collection in the ``shared`` layout, on the
application's own driver.

``TenantManager.collection(claims, client)`` gives one for a tenant in the ``shared``
layout (other layouts get the driver's own collection). It wraps the driver's collection
(pymongo's ``Collection`` or ``AsyncCollection``, or motor's): each method passes its
filter, documents, update, pipeline, projection or index keys through the tenant's
``Confinement`` (the core's rules: the filter is conjoined with the tenant's stamp,
documents are stamped, updates may not touch the stamp, pipelines reach no other
collection) and returns what the driver's method returns, so a sync collection gives
results and an async one awaitables. ``bulk_write`` confines each request as the method of
its name. What cannot be confined (``drop``, ``rename``, ``database``, ...) is refused.

Cursors and change streams are the driver's own; the documents they give carry no stamp
(but for change events' ``fullDocument``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any

from tenantry._native import Confinement

__all__ = ["ConfinedCollection"]

#: The driver's methods this class confines.
CONFINED = (
    "find",
    "find_one",
    "count_documents",
    "distinct",
    "aggregate",
    "insert_one",
    "insert_many",
    "update_one",
    "update_many",
    "replace_one",
    "delete_one",
    "delete_many",
    "bulk_write",
    "find_one_and_update",
    "find_one_and_replace",
    "find_one_and_delete",
    "create_index",
    "watch",
)

class ConfinedCollection:
    """One tenant's documents in a collection shared with other tenants (the ``shared``
    layout). Every method takes and returns what the driver's method of the same name does,
    with its arguments confined to the tenant; anything else raises ``AttributeError``."""

    __slots__ = ("_inner", "_confinement", "_encode", "_decode", "_new_id")

    _inner: Any
    _confinement: Confinement
    _encode: Callable[[Mapping[str, Any]], bytes]
    _decode: Callable[[bytes], dict[str, Any]]
    _new_id: Callable[[], Any]

    def __init__(self, collection: Any, confinement: Confinement) -> None:
        # pymongo's bson, imported here: tenantry itself needs no driver installed.
        import bson

        # The collection's codec options (custom types, UUIDs, datetimes) both ways; plain
        # dicts for what goes back to the driver.
        options = collection.codec_options
        decode_options = options.with_options(document_class=dict)
        self._inner = collection
        self._confinement = confinement
        self._encode = lambda doc: bson.encode(doc, codec_options=options)
        self._decode = lambda data: bson.decode(data, codec_options=decode_options)
        self._new_id = bson.ObjectId

    @property
    def tenant_id(self) -> str:
        """The tenant's id (24 hex digits): the value of its documents' stamp."""
        return self._confinement.tenant_id

    @property
    def name(self) -> str:
        """The shared collection's name."""
        return str(self._inner.name)

    @property
    def full_name(self) -> str:
        """``database.collection`` of the shared collection."""
        return str(self._inner.full_name)

    # Conversions through the core's Confinement: BSON in, BSON out.

    def _filter(self, filter: Mapping[str, Any] | None) -> dict[str, Any]:
        return self._decode(self._confinement.filter(self._encode(filter or {})))

    def _document(self, document: Mapping[str, Any]) -> dict[str, Any]:
        return self._decode(self._confinement.document(self._encode(document)))

    def _documents(self, documents: Iterable[Any]) -> list[dict[str, Any]]:
        confined = []
        for document in documents:
            self._give_id(document)
            confined.append(self._document(document))
        return confined

    def _give_id(self, document: Any) -> None:
        # As the driver does, so that the caller's document has the `_id` stored.
        if isinstance(document, MutableMapping) and "_id" not in document:
            document["_id"] = self._new_id()

    def _update(self, update: Mapping[str, Any] | Sequence[Any]) -> Any:
        return self._decode(self._confinement.update(self._encode({"u": update})))["u"]

    def _pipeline(self, pipeline: list[Any] | None) -> list[Any]:
        wrapped = self._encode({"p": list(pipeline or [])})
        return list(self._decode(self._confinement.pipeline(wrapped))["p"])

    def _projection(self, projection: Mapping[str, Any] | Iterable[str] | None) -> dict[str, Any]:
        if projection is not None and not isinstance(projection, Mapping):
            projection = dict.fromkeys(projection, 1)  # a list of fields, as the driver takes
        encoded = None if projection is None else self._encode(projection)
        return self._decode(self._confinement.projection(encoded))

    # The driver's methods, confined.

    def find(self, filter: Mapping[str, Any] | None = None, projection: Any = None, *args: Any, **kwargs: Any) -> Any:
        """``find``: the tenant's documents matching ``filter``, without the stamp."""
        return self._inner.find(self._filter(filter), self._projection(projection), *args, **kwargs)

    def find_one(self, filter: Any = None, projection: Any = None, *args: Any, **kwargs: Any) -> Any:
        """``find_one`` (a ``filter`` that is no mapping is an ``_id``, as for the driver)."""
        if filter is not None and not isinstance(filter, Mapping):
            filter = {"_id": filter}
        return self._inner.find_one(self._filter(filter), self._projection(projection), *args, **kwargs)

    def count_documents(self, filter: Mapping[str, Any], *args: Any, **kwargs: Any) -> Any:
        """``count_documents`` of the tenant's documents."""
        return self._inner.count_documents(self._filter(filter), *args, **kwargs)

    def distinct(self, key: str, filter: Mapping[str, Any] | None = None, *args: Any, **kwargs: Any) -> Any:
        """``distinct`` over the tenant's documents."""
        return self._inner.distinct(key, self._filter(filter), *args, **kwargs)

    def aggregate(self, pipeline: list[Any], *args: Any, **kwargs: Any) -> Any:
        """``aggregate`` over the tenant's documents; stages that could reach another
        collection (``$lookup``, ``$unionWith``, ``$out``, ...) raise ``InvalidInput``."""
        return self._inner.aggregate(self._pipeline(pipeline), *args, **kwargs)

    def insert_one(self, document: Any, *args: Any, **kwargs: Any) -> Any:
        """``insert_one``: the document is stored stamped (the caller's copy is not, but
        gets its ``_id`` as with the driver)."""
        self._give_id(document)
        return self._inner.insert_one(self._document(document), *args, **kwargs)

    def insert_many(self, documents: Iterable[Any], *args: Any, **kwargs: Any) -> Any:
        """``insert_many``: every document stamped before any is sent."""
        return self._inner.insert_many(self._documents(documents), *args, **kwargs)

    def update_one(self, filter: Mapping[str, Any], update: Any, *args: Any, **kwargs: Any) -> Any:
        """``update_one`` (operators or a pipeline; the stamp cannot be changed; a document
        an upsert inserts is the tenant's)."""
        return self._inner.update_one(self._filter(filter), self._update(update), *args, **kwargs)

    def update_many(self, filter: Mapping[str, Any], update: Any, *args: Any, **kwargs: Any) -> Any:
        """``update_many``, as ``update_one``."""
        return self._inner.update_many(self._filter(filter), self._update(update), *args, **kwargs)

    def replace_one(self, filter: Mapping[str, Any], replacement: Mapping[str, Any], *args: Any, **kwargs: Any) -> Any:
        """``replace_one``: the replacement is stored stamped."""
        return self._inner.replace_one(self._filter(filter), self._document(replacement), *args, **kwargs)

    def delete_one(self, filter: Mapping[str, Any], *args: Any, **kwargs: Any) -> Any:
        """``delete_one`` of one of the tenant's documents."""
        return self._inner.delete_one(self._filter(filter), *args, **kwargs)

    def delete_many(self, filter: Mapping[str, Any], *args: Any, **kwargs: Any) -> Any:
        """``delete_many`` of the tenant's documents."""
        return self._inner.delete_many(self._filter(filter), *args, **kwargs)

    def bulk_write(self, requests: Iterable[Any], ordered: bool = True, *args: Any, **kwargs: Any) -> Any:
        """``bulk_write`` of pymongo's requests (``InsertOne``, ``UpdateOne``, ``UpdateMany``,
        ``ReplaceOne``, ``DeleteOne``, ``DeleteMany``), each confined as the method of its
        name into a request of the same class with the same options (``upsert``,
        ``collation``, ``hint``, ``array_filters``, ...); all are confined before any is
        sent, so one refused raises ``InvalidInput`` with nothing written. Inserted
        documents get their ``_id`` as with ``insert_one``. Any other request raises
        ``TypeError``."""
        return self._inner.bulk_write([self._request(r) for r in requests], ordered, *args, **kwargs)

    def _request(self, request: Any) -> Any:
        # pymongo's request classes, imported here as bson is: tenantry needs no driver.
        from pymongo.operations import DeleteMany, DeleteOne, InsertOne, ReplaceOne, UpdateMany, UpdateOne

        kinds = (InsertOne, UpdateOne, UpdateMany, ReplaceOne, DeleteOne, DeleteMany)
        if not isinstance(request, kinds):
            names = ", ".join(kind.__name__ for kind in kinds)
            raise TypeError(f"bulk_write: {request!r} is not one of {names}")
        # A copy keeps the request's class and every option the installed pymongo has.
        confined: Any = copy.copy(request)
        if isinstance(request, InsertOne):
            self._give_id(request._doc)
            confined._doc = self._document(request._doc)
        elif isinstance(request, (UpdateOne, UpdateMany)):
            confined._filter = self._filter(request._filter)
            confined._doc = self._update(request._doc)
        elif isinstance(request, ReplaceOne):
            confined._filter = self._filter(request._filter)
            confined._doc = self._document(request._doc)
        else:
            confined._filter = self._filter(request._filter)
        return confined

    def find_one_and_update(
        self, filter: Mapping[str, Any], update: Any, projection: Any = None, *args: Any, **kwargs: Any
    ) -> Any:
        """``find_one_and_update``; the document returned has no stamp."""
        return self._inner.find_one_and_update(
            self._filter(filter), self._update(update), self._projection(projection), *args, **kwargs
        )

    def find_one_and_replace(
        self, filter: Mapping[str, Any], replacement: Mapping[str, Any], projection: Any = None, *args: Any, **kwargs: Any
    ) -> Any:
        """``find_one_and_replace``; the replacement is stored stamped."""
        return self._inner.find_one_and_replace(
            self._filter(filter), self._document(replacement), self._projection(projection), *args, **kwargs
        )

    def find_one_and_delete(self, filter: Mapping[str, Any], projection: Any = None, *args: Any, **kwargs: Any) -> Any:
        """``find_one_and_delete``; the document returned has no stamp."""
        return self._inner.find_one_and_delete(self._filter(filter), self._projection(projection), *args, **kwargs)

    def create_index(self, keys: Any, *args: Any, **kwargs: Any) -> Any:
        """``create_index``: the keys (a field name, ``(field, direction)`` pairs or a
        mapping) are led by the stamp, so a unique index is unique per tenant. The index
        serves, and its options constrain, every tenant of the shared collection."""
        confined = self._decode(self._confinement.index_keys(self._encode(index_keys(keys))))
        return self._inner.create_index(list(confined.items()), *args, **kwargs)

    def watch(self, pipeline: list[Any] | None = None, full_document: str | None = None, *args: Any, **kwargs: Any) -> Any:
        """``watch``: the events whose full document is the tenant's (by default the stream
        looks up updated documents' full document; deletes carry none and are not
        delivered)."""
        wrapped = self._encode({"p": list(pipeline or [])})
        confined = self._decode(self._confinement.change_stream(wrapped))["p"]
        return self._inner.watch(confined, full_document or "updateLookup", *args, **kwargs)

    def __repr__(self) -> str:
        return f"ConfinedCollection({self._inner!r}, tenant_id={self.tenant_id!r})"

    if not TYPE_CHECKING:  # for type checkers, the other attributes simply do not exist

        def __getattr__(self, name: str) -> Any:
            if name.startswith("__"):
                raise AttributeError(name)
            reason = (
                f"{name} cannot be confined to one tenant: the collection is shared with other "
                f"tenants' documents; a tenant's scope offers {', '.join(CONFINED)}"
            )
            raise AttributeError(f"ConfinedCollection.{name}: {reason}")


def index_keys(keys: Any) -> dict[str, Any]:
    """Index keys in any form the driver takes (a field name, a list of field names or of
    ``(field, direction)`` pairs, a mapping) as one mapping, in order."""
    if isinstance(keys, str):
        return {keys: 1}
    if isinstance(keys, Mapping):
        return dict(keys)
    ordered: dict[str, Any] = {}
    for key in keys:
        if isinstance(key, str):
            ordered[key] = 1
        else:
            field, direction = key
            ordered[field] = direction
    return ordered
