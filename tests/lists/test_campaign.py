import pytest

from callwise.lists.campaign import CampaignError, load_campaign


def write(tmp_path, text, name="c.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_campaign(tmp_path):
    c = load_campaign(write(tmp_path, "campaign_id: w-07\nproduct_id: W1\ndate: 2026-07-01\ncapacity: 500\n"))
    assert c.capacity == 500 and c.cutoff.isoformat() == "2026-07-01T00:00:00" and c.lang == "zh"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("campaign_id: w\nproduct_id: W1\ndate: 2026-07-01\ncapacity: -1\n", ":4: capacity"),
        ("campaign_id: w\nproduct_id: W1\ndate: 2026-13-01\ncapacity: 1\n", ":3: date"),
        ("campaign_id: w\ndate: 2026-07-01\ncapacity: 1\n", ":1: 'product_id' is required"),
        ("campaign_id: w\nproduct_id: W1\ndate: 2026-07-01\ncapacity: 1\ncapcity: 2\n", ":5: unknown key 'capcity'"),
        ("campaign_id: w x\nproduct_id: W1\ndate: 2026-07-01\ncapacity: 1\n", ":1: campaign_id"),
        ("campaign_id: w\nproduct_id: W1\ndate: 2026-07-01\ncapacity: 1\nmodel: nowhere\n", ":5: model"),
        ("- just\n- a list\n", "must be a mapping"),
        ("campaign_id: [unclosed\n", r":1:14: not valid YAML: the \[ opened here is never closed"),
        (
            "campaign_id: w\nproduct_id: W1\ndate: 2026-07-01\ncapacity: 1\ncapacity: 2\n",
            ":5: key 'capacity' is written twice",
        ),
    ],
)
def test_bad_campaign_files_are_refused_with_the_field(tmp_path, text, message):
    with pytest.raises(CampaignError, match=message) as info:
        load_campaign(write(tmp_path, text))
    assert "c.yaml" in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(CampaignError, match="not found"):
        load_campaign(tmp_path / "nope.yaml")


def test_gbk_file_is_refused_clearly(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_bytes("name: 理财\n".encode("gbk"))
    with pytest.raises(CampaignError, match="not UTF-8"):
        load_campaign(path)
