import logging

from tanfang.core.logging import PersonalDataFilter, scrub


def test_id_numbers_and_mobile_numbers_are_masked_in_log_text():
    text = "registered 11010519491231002X phone 13812345678 order 20260101"

    assert scrub(text) == "registered 1101**********002X phone 138****5678 order 20260101"


def test_the_filter_masks_formatted_log_records():
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "elder %s called from %s", ("410823195001011234", "13900001111"), None
    )

    PersonalDataFilter().filter(record)

    assert record.getMessage() == "elder 4108**********1234 called from 139****1111"
