"""Competency tools (EQUIP-style): items, observable behaviours and derived levels.

A competency *tool* (a content pack in ``competencies/<tool-slug>.toml``) has items;
each item lists concrete behaviours in three groups: potentially harmful, basic and
advanced. Raters tick the behaviours they saw in a role play or live session, and the
1–4 level of each item is *derived* from those ticks by
:func:`app.competencies.levels.derive_level` — it is never typed in. Store the ticks,
not only the level.
"""
