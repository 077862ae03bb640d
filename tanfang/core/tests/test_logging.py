import logging

from tanfang.core.id_numbers import mask_id_number, mask_phone
from tanfang.core.logging import PersonalDataFilter, scrub


def test_id_numbers_and_mobile_numbers_are_masked_in_log_text():
    text = "registered 11010519491231002X phone 13812345678 order 20260101"

    assert scrub(text) == "registered 110105************ phone 138*****678 order 20260101"
    # the same masks as on pages: a log line tells no more than a page
    assert mask_id_number("11010519491231002X") == "110105************"
    assert mask_phone("13812345678") == "138*****678"


def test_the_filter_masks_formatted_log_records():
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "elder %s called from %s", ("410823195001011234", "13900001111"), None
    )

    PersonalDataFilter().filter(record)

    assert record.getMessage() == "elder 410823************ called from 139*****111"
