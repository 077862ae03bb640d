"""Every audited action, with its label. Stable codes: stored in rows and shown by the API."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    LOGIN_SUCCEEDED = "auth.login", _("登录")
    LOGIN_FAILED = "auth.login_failed", _("登录失败")
    ACCOUNT_LOCKED = "auth.locked", _("账号锁定")
    LOGOUT = "auth.logout", _("退出登录")
    PASSWORD_CHANGED = "auth.password_changed", _("修改密码")
    PASSWORD_RESET = "auth.password_reset", _("重置密码")
    TOKEN_ISSUED = "auth.token_issued", _("签发接口令牌")
    TOKEN_REVOKED = "auth.token_revoked", _("吊销接口令牌")
    USER_CREATED = "user.created", _("创建用户")
    USER_UPDATED = "user.updated", _("修改用户")
    USER_UNLOCKED = "user.unlocked", _("解锁用户")
    REGIONS_IMPORTED = "region.imported", _("导入区划")
    REGION_CREATED = "region.created", _("新增区划")
    REGION_RENAMED = "region.renamed", _("区划更名")
    ELDER_CREATED = "elder.created", _("登记老年人")
    ELDERS_SEEDED = "elder.seeded", _("生成演示老年人")
    ELDER_UPDATED = "elder.updated", _("修改老年人信息")
    ELDER_STATUS_CHANGED = "elder.status_changed", _("变更老年人状态")
    ELDERS_MERGED = "elder.merged", _("合并重复记录")
    PERSONAL_DATA_REVEALED = "elder.revealed", _("查看完整个人信息")
    ELDERS_EXPORTED = "elder.exported", _("导出老年人名单")
    IMPORT_PREVIEWED = "elder.import_previewed", _("上传导入文件")
    IMPORT_COMMITTED = "elder.import_committed", _("确认导入")
    IMPORT_CONFLICT_DECIDED = "elder.conflict_decided", _("处理导入冲突")
    VISITOR_CREATED = "visitor.created", _("新增探访人员")
    VISITOR_UPDATED = "visitor.updated", _("修改探访人员")
    PAIRING_STARTED = "pairing.started", _("结对")
    PAIRING_ENDED = "pairing.ended", _("结束结对")
    VISITOR_HANDED_OVER = "visitor.handed_over", _("移交结对老人")
    VISIT_RECORDED = "visit.recorded", _("记录探访")
    VISIT_REVIEWED = "visit.reviewed", _("审核探访记录")
    VISIT_FORM_PRINTED = "visit.form_printed", _("打印探访记录表")
    FORM_TEMPLATE_LOADED = "visit.template_loaded", _("加载探访表单模板")
    POLICY_CHANGED = "schedule.policy_changed", _("修改探访政策")
    WEATHER_DECLARED = "schedule.weather_declared", _("发布极端天气")
    DUE_RECOMPUTED = "schedule.recomputed", _("重新计算探访状态")
