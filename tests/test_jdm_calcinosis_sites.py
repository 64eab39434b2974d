"""Where juvenile dermatomyositis puts its calcinosis (s34 audit): the sources list the sites
without counts (the seed's pressure points "elbows, knees, fingers and buttocks"; Hoeltzel 2014:
"elbows, knees, trunk, hands, feet, buttocks, and head"), and the one JDM calcinosis series that
ranks areas (Bogota 2011, 17 children) found the thighs and forearms the most often affected. A
list order is not a frequency: the elbow, named first, was held above the knee (0.45 against
0.4), so a deposit at the elbow spoke more for JDM than the same deposit at the knee."""

from __future__ import annotations

from calcinosis import KnowledgeBase


def test_no_unranked_pressure_point_speaks_more_for_jdm_than_another(kb: KnowledgeBase) -> None:
    """The elbow and the knee are both listed, neither ranked by a count: JDM states the same
    share of children for each, and each still speaks for JDM (above the reference frequency,
    the share in all calcinosis referrals)."""
    jdm = kb.disease_pos("juvenile_dermatomyositis")
    share = {site: float(kb.frequency[jdm, kb.feature_pos(f"site:{site}")]) for site in ("elbow", "knee")}
    assert share["elbow"] == share["knee"], share
    for site, frequency in share.items():
        assert frequency > float(kb.baseline[kb.feature_pos(f"site:{site}")]), site
