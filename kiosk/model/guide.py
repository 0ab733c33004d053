"""The guide (办事指南) of an item as titled sections of lines, in the visitor's language.  No Kivy."""

from __future__ import annotations

from protocol.models import Item


def guide_sections(model, item: Item) -> list[tuple[str, list[str]]]:
    """(title, lines) for every part of the guide, in the order a visitor reads it."""
    t = model.t
    hall = model.hall
    none = [t("guide.none")]
    materials = []
    for number, m in enumerate(item.materials, 1):
        need = t("material.mandatory") if m.mandatory else t("material.optional")
        line = f"{number}、{m.name}（{t('material.line', form=m.form, copies=m.copies, need=need)}）"
        if m.notes:
            line += f"：{m.notes}"
        if m.sample_form:
            line += f"  样表：{m.sample_form}"
        materials.append(line)
    limits = [t("guide.statutory", days=item.statutory_days) if item.statutory_days is not None
              else t("guide.statutory_none"),
              t("guide.promised", days=item.promised_days) if item.promised_days else t("guide.on_the_spot")]
    fees = [t("guide.free")] if item.is_free else \
        [f"{fee.name}：{fee.amount}" + (f"（依据：{fee.basis}）" if fee.basis else "") for fee in item.fees]
    if item.fee_note and not item.is_free:
        fees.append(item.fee_note)
    phones = [line for line in (t("guide.consult", phone=item.consult_phone) if item.consult_phone else "",
                                t("guide.supervise", phone=item.supervise_phone) if item.supervise_phone else "")
              if line]
    sections = [
        (t("guide.kind"), [f"{item.kind}    {t('guide.code')}：{item.code}"]),
        (t("guide.department"), [hall.department_name(item.department)]),
        (t("guide.conditions"), [f"{n}、{c}" for n, c in enumerate(item.conditions, 1)] or none),
        (t("guide.materials"), materials or none),
        (t("guide.steps"), [f"{n}、{s}" for n, s in enumerate(item.steps, 1)] or none),
        (t("guide.limits"), limits),
        (t("guide.fees"), fees),
        (t("guide.windows"), hall.window_lines(item) or none),
        (t("guide.phones"), phones or none),
        (t("guide.location"), [item.location] if item.location else none),
        (t("guide.hours"), [item.hours] if item.hours else none),
        (t("guide.legal"), list(item.legal_basis) or none),
    ]
    if item.forms:
        sections.append((t("guide.forms"), [f"{f.name} {f.url}".strip() for f in item.forms]))
    if item.online_url:
        sections.append((t("guide.online"), [item.online_url]))
    if item.notes:
        sections.append((t("guide.notes"), [item.notes]))
    return sections
