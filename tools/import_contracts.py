"""An import-linter contract type the built-in ones lack: an allow-list.

`allowed`: the source modules (and their descendants) may import, of the root package, only each
other and the allowed modules (and their descendants). A new module of the root package is then
forbidden to them by default, where a `forbidden` list would have to be kept up to date. Outside
libraries are not its business (see the `protected` contracts).
"""

from __future__ import annotations

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output


def _within(module: str, packages: set[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


class AllowedContract(Contract):
    type_name = "allowed"

    source_modules = fields.ListField(subfield=fields.ModuleField())
    allowed_modules = fields.ListField(subfield=fields.ModuleField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        sources = {m.name for m in self.source_modules}  # type: ignore[attr-defined]
        allowed = sources | {m.name for m in self.allowed_modules}  # type: ignore[attr-defined]
        roots = {m.split(".")[0] for m in sources}
        illegal = []
        for importer in sorted(m for m in graph.modules if _within(m, sources)):
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                if imported.split(".")[0] in roots and not _within(imported, allowed):
                    details = graph.get_import_details(importer=importer, imported=imported)
                    lines = sorted({d["line_number"] for d in details})
                    illegal.append({"importer": importer, "imported": imported, "lines": lines})
        return ContractCheck(kept=not illegal, metadata={"illegal": illegal})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for link in check.metadata["illegal"]:
            lines = ", ".join(str(n) for n in link["lines"])
            output.print_error(f"- {link['importer']} -> {link['imported']} (l.{lines}): not allowed", bold=False)
            output.new_line()
