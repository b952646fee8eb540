from bot.privacy import Citizen, for_group, mask_address, mask_name, mask_phone, scrub_text, ticket_numbers


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


CALLER = Citizen("欧阳明月", "九亭镇涞寅路88号", "021-57812345")
MOBILE_CALLER = Citizen("赵六", "中山街道中山中路1号", "13600003333")


def test_phones_in_every_spelling_are_masked_in_a_group():
    spellings = ["13812345678", "138-1234-5678", "138 1234 5678", "+86 138 1234 5678", "+8613812345678",
                 "0086 138 1234 5678", "１３８１２３４５６７８", "tel13812345678", "(138)1234-5678"]
    for phone in spellings:
        out = for_group(f"请联系{phone}。")
        assert "12345678" not in out.replace("-", "").replace(" ", "") and "5678" in out, (phone, out)
    for landline in ["021-57812345", "(021)57812345", "（021）5781 2345", "021 5781 2345", "+86 21 5781 2345"]:
        out = for_group(f"座机{landline}")
        assert "5781" not in out.replace(" ", "") and out.endswith("2345"), (landline, out)


def test_the_callers_own_details_in_any_spelling():
    text = "欧阳明月住九亭镇涞寅路88号，电话021-57812345，也可打57812345或5781-2345；赵六，136 0000 3333"
    out = for_group(text, [CALLER, MOBILE_CALLER])
    for secret in ("欧阳明月", "涞寅路88号", "57812345", "5781-2345", "赵六", "136 0000 3333"):
        assert secret not in out, (secret, out)
    assert out.startswith("欧**月住九亭镇涞寅路…") and "赵*" in out


def test_identity_numbers_with_their_check_digit_or_birth_date():
    valid = "11010519491231002X"  # GB 11643's example: the check digit is X
    for typed in (valid, "110105 19491231 002X", "310117198001011234", "310117800101123"):
        out = for_group(f"身份证号{typed}，")
        assert typed not in out and "*" in out, (typed, out)
    assert for_group("订单号123456789012345678") == "订单号123456789012345678"  # no date, no check digit
    assert "19491231" not in for_group(f"ID{valid}") and "5781" not in for_group("Tel:021-57812345")


def test_house_numbers_but_not_dates_or_document_numbers():
    out = for_group("住人民路100弄5号101室，3号楼2单元；10月3号来电；沪民发〔2026〕12号；第3号")
    assert "100弄" not in out and "5号" not in out and "101室" not in out and "3号楼" not in out
    assert "10月3号" in out and "〔2026〕12号" in out and "第3号" in out


def test_numbers_of_ours_and_markup_stay_as_they_are():
    text = ('<b>SJMZ-2026-000001</b> /ticket_SJMZ_2026_000001 挂号信XA123456789CN 编号SH-XF-2026-0931 '
            '<a href="https://t.me/x_bot?start=r1">填写答复</a> ⏰ 10月19日（周一）16:00 共1,794件 12345 962200 300元')
    assert for_group(text) == text
    assert ticket_numbers(text, "SJMZ") == {"SJMZ-2026-000001"}
