"""The FastAPI example of this binding's README, run as written against the
dev server, with a stand-in `fastapi` module (FastAPI itself is not a test
dependency): the stand-in records the routes and resolves `Depends` the way
FastAPI does for this example."""

import asyncio
import inspect
import re
import sys
import types
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


class Depends:
    def __init__(self, dependency):
        self.dependency = dependency


class FastAPI:
    def __init__(self, lifespan):
        self.lifespan = lifespan
        self.routes = {}

    def get(self, path):
        def register(endpoint):
            self.routes[path] = endpoint
            return endpoint

        return register

    async def call(self, path):
        """Calls the endpoint of `path` with its dependencies resolved."""
        endpoint = self.routes[path]
        arguments = {
            name: await parameter.default.dependency()
            for name, parameter in inspect.signature(endpoint).parameters.items()
            if isinstance(parameter.default, Depends)
        }
        return arguments, await endpoint(**arguments)


def fastapi_example():
    readme = README.read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.DOTALL)
    [example] = [block for block in blocks if "from fastapi import" in block]
    return example


def test_the_fastapi_example(monkeypatch, devserver):
    monkeypatch.setitem(sys.modules, "fastapi", types.SimpleNamespace(Depends=Depends, FastAPI=FastAPI))
    module = {"__name__": "readme_example"}
    exec(compile(fastapi_example(), "README.md (FastAPI example)", "exec"), module)
    app, identity = module["app"], module["identity"]

    async def serve():
        async with app.lifespan(app):
            first, _ = await app.call("/orders")
            second, response = await app.call("/orders")
        return first["token"], second["token"], response

    first, second, response = asyncio.run(serve())
    assert first.startswith("at_") and second == first
    assert response is None
    assert identity.closed, "the lifespan closes the client"
    assert devserver.count("/oauth/token") == 1
