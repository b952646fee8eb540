from bot.privacy import mask_address, mask_name, mask_phone, scrub_text


def test_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("138-1234-5678") == "138****5678"
    assert mask_phone("021-57812345") == "021****2345"
    assert mask_phone("") == ""
    assert mask_phone("12") == "****"


def test_name():
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳明月") == "欧**月"
    assert mask_name("李") == "李*"


def test_address():
    assert mask_address("岳阳街道人民路100弄5号101室") == "岳阳街道人民路…"
    assert mask_address("九亭镇涞寅路88号") == "九亭镇涞寅路…"
    assert "88" not in mask_address("九亭镇涞寅路88号")
    assert mask_address("方松街道") == "方松街道"


def test_free_text():
    text = "来电人张三（13812345678，身份证310117198001011234）反映"
    out = scrub_text(text)
    assert "13812345678" not in out and "310117198001011234" not in out
    assert "138****5678" in out


def test_free_text_with_the_citizens_own_details():
    out = scrub_text("欧阳明月住九亭镇涞寅路88号，电话021-57812345", name="欧阳明月", address="九亭镇涞寅路88号",
                     phone="021-57812345")
    assert "欧阳明月" not in out and "88号" not in out and "57812345" not in out
