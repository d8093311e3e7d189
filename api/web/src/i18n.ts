// The console's words: one key list (the keys of `zh`, the default language) and a value
// map per language. `en` is typed Record<Key, string>, so a missing or extra English key
// is a type error, and test/i18n.test.mjs checks at run time that both maps have exactly
// the same keys and no empty value. t(key) looks up the current language; tf(key, ...)
// also fills the {0}, {1}... placeholders. The language is read from localStorage on
// first use, so importing this module touches no browser API.
export type Lang = "zh" | "en";

const zh = {
  title: "ipledger 知识产权质押登记",
  console: "控制台",
  nav_signin: "登录", nav_asset: "资产查询", nav_stats: "监管统计", nav_audit: "审计记录", nav_log: "日志浏览",
  nav_label: "主导航",
  skip: "跳到主要内容",
  lang_switch: "English",
  anonymous: "未登录（公开视图）",
  signed_in_as: "已登录：",
  sign_out: "退出",
  logkey: "日志公钥", fingerprint: "指纹", pinned_at_first_use: "首次使用时已固定于本浏览器",
  logkey_changed: "警告：服务器的日志公钥与本浏览器固定的不一致！所显示的内容均不可信。请联系登记机构。",
  logkey_unavailable: "无法取得日志公钥",
  forget_pin: "清除固定的公钥",
  signin_h: "使用参与方密钥文件登录",
  signin_intro: "密钥文件只在本浏览器中读取，从不发送到服务器；每个请求都在页面中按 RFC 9421 签名。",
  keyfile: "密钥文件（ipledger keygen 生成）", keyid: "密钥标识（参与方/标签，例如 ccb-quzhou/k1）",
  signin_btn: "登录", signin_ok: "已登录，角色：", signin_bad_key: "密钥文件无法读取：", signin_no_file: "请选择密钥文件",
  signin_not_registered: "该密钥未在参与方目录中登记（或已吊销）。请核对密钥标识，或联系登记机构。",
  asset_h: "资产查询", asset_id: "资产标识（例如 patent:2014103620773）", date: "日期（可选）",
  lookup: "查询", public_view: "公开信息", pledge_status: "质押状态", coverage: "保险保障",
  map_proof: "状态映射证明（存在/不存在）", cosignatures: "见证人联署",
  pledged: "已质押", not_pledged: "未质押", proven: "（已证明）",
  map_active: "状态映射证明：有效质押登记于条目", map_none: "尚无状态映射根：状态未经证明", map_version: "映射版本（条目）",
  verified: "已在浏览器中验证", failed: "验证失败", unverifiable: "无可验证的证明",
  as_of: "截至条目", pledge_id: "质押编号", pledgee: "质权人", state: "状态", registered_at: "登记条目",
  needs_signin: "此项需要登录（签名请求）。",
  answer_about: "答复涉及的资产是 {0}",
  c_policy: "保单", c_insurer: "保险人", c_product: "险种", c_period: "保险期间", c_aggregate: "累计限额（元）",
  stats_h: "监管统计：知识产权质押登记", from: "起始日期", to: "截止日期", region: "地区代码前缀（例如 3308）",
  group_by: "分组", g_month: "按月", g_bank: "按银行", g_asset_kind: "按资产类别", g_region: "按地区",
  show: "查询", csv: "下载 CSV", permalink: "固定链接（按截至条目复现）",
  registrations: "登记笔数", cases: "融资案件", amount: "金额（元）", enterprises: "企业数",
  yoy: "同比", prev_year: "上年同期", totals: "合计", key: "分组",
  checkpoint_of_answer: "答复所引用的检查点",
  as_of_mismatch: "截至条目与检查点大小不符",
  audit_h: "审计记录：全部日志条目", audit_intro: "按日期、类型、参与方和资产筛选日志的每一个条目（包括被拒绝的声明），按页浏览。",
  audit_type: "类型（例如 pledge.register、refusal）", participant: "参与方（例如 ccb-quzhou）", asset: "资产标识",
  page_size: "每页条数", prev_page: "上一页", next_page: "下一页", audit_table: "审计记录",
  audit_page: "第 {0} 页：条目 {1}–{2}，共 {3} 条（日志共 {4} 条）", audit_range: "条目 {0}–{1}，共 {2} 条（日志共 {3} 条）",
  audit_empty: "没有符合条件的条目。", audit_end: "已到末尾：之后没有符合条件的条目。",
  parties: "当事方", signers: "签名者", subjects: "标的", refused: "拒绝", codes: "错误代码", warnings: "警告",
  audit_source: "审计记录由服务器按签名请求提供；“核验”在本浏览器中检查条目：叶与所示内容一致、信封哈希相符，且叶包含于日志公钥签名的检查点。",
  audit_check: "核验", audit_check_all: "核验本页全部条目", audit_included: "包含于日志", audit_differs: "叶与答复不符（{0}）",
  log_h: "日志浏览", latest_cp: "最新检查点", size: "条目数", root: "根哈希", leaf_hash: "叶哈希",
  latest_entries: "最新条目", index: "序号", type: "类型", time: "时间", submitter: "提交方",
  consistency: "与本浏览器上次所见检查点的一致性", first_visit: "首次访问：已记录此检查点，下次访问时检查一致性。",
  consistent_with: "与上次所见一致，上次大小：", inconsistent: "不一致！日志可能被篡改或分叉。上次大小：",
  log_shrank: "日志从 {0} 条缩减为 {1} 条", same_size_other_root: "大小相同但根哈希不同",
  witness_policy: "见证策略（保存在本浏览器）",
  policy_none: "尚未配置见证策略：请在下方粘贴或载入策略文件（ipledgerd --witness-policy 的格式），之后每次查询都按它核对联署。",
  policy_file: "载入策略文件", policy_text: "策略内容", policy_save: "保存策略", policy_clear: "清除策略",
  policy_bad: "策略无法解析：", policy_saved: "策略已保存，共 {0} 个见证人，法定数：{1}",
  quorum_met: "法定数已满足（{0}）", quorum_not_met: "法定数未满足（{0}）",
  cosigned_by: "联署有效的见证人：", cosign_missing: "未联署：", cosign_bad: "联署签名无效：",
  cosigned_cp: "联署检查点：条目数 {0}", cosign_none: "服务器尚无联署检查点（404）：见证人尚未联署。",
  cosign_consistent: "与答复的检查点一致", cosign_inconsistent: "与答复的检查点不一致：",
  none: "无",
  err_down: "无法连接服务器。请检查网络或稍后再试。",
  err_401: "签名未被接受（401）。请重新登录，并确认密钥标识正确、电脑时钟准确（误差在 5 分钟内）。",
  err_403: "无权查看（403）。此项仅对相关当事方、监管机构和登记机构开放。",
  err_503: "服务器暂时只读或繁忙（503），请稍后再试。",
  err_other: "请求失败：",
  empty: "无数据",
  covered: "有保障", not_covered: "无有效保单",
  absence_proven: "状态映射证明：该资产无有效保单登记（已证明）",
  absence_unproven: "已验证检查点签名；“无保单”无法证明（需状态映射证明）",
  loading: "加载中…",
};
export type Key = keyof typeof zh;

const en: Record<Key, string> = {
  title: "ipledger IP pledge registry",
  console: "console",
  nav_signin: "Sign in", nav_asset: "Asset lookup", nav_stats: "Regulator dashboard", nav_audit: "Audit trail", nav_log: "Log explorer",
  nav_label: "Main",
  skip: "Skip to main content",
  lang_switch: "中文",
  anonymous: "Not signed in (public views)",
  signed_in_as: "Signed in: ",
  sign_out: "Sign out",
  logkey: "Log key", fingerprint: "Fingerprint", pinned_at_first_use: "pinned in this browser at first use",
  logkey_changed: "Warning: the server's log key differs from the one this browser pinned! Nothing shown can be trusted. Contact the registry office.",
  logkey_unavailable: "Cannot fetch the log key",
  forget_pin: "Forget pinned key",
  signin_h: "Sign in with your participant key file",
  signin_intro: "The key file is read in this browser only and never sent to the server; every request is RFC 9421-signed in the page.",
  keyfile: "Key file (from ipledger keygen)", keyid: "Key id (participant/label, e.g. ccb-quzhou/k1)",
  signin_btn: "Sign in", signin_ok: "Signed in, role: ", signin_bad_key: "Cannot read the key file: ", signin_no_file: "choose a key file",
  signin_not_registered: "This key is not registered in the participant directory (or is revoked). Check the key id or contact the registry office.",
  asset_h: "Asset lookup", asset_id: "Asset id (e.g. patent:2014103620773)", date: "Date (optional)",
  lookup: "Look up", public_view: "Public view", pledge_status: "Pledge status", coverage: "Insurance coverage",
  map_proof: "Status map proof (presence/absence)", cosignatures: "Witness cosignatures",
  pledged: "Pledged", not_pledged: "Not pledged", proven: " (proven)",
  map_active: "Status map: active pledge registrations at entries", map_none: "no status map root logged yet: the status is not proven", map_version: "map version (entry)",
  verified: "Verified in this browser", failed: "Verification failed", unverifiable: "No proof to verify",
  as_of: "As of entry", pledge_id: "Pledge", pledgee: "Pledgee", state: "State", registered_at: "Registered at entry",
  needs_signin: "This needs you to sign in (signed requests).",
  answer_about: "the answer is about {0}",
  c_policy: "Policy", c_insurer: "Insurer", c_product: "Product", c_period: "Period", c_aggregate: "Aggregate limit (CNY)",
  stats_h: "Regulator dashboard: IP pledge registrations", from: "From", to: "To", region: "Region code prefix (e.g. 3308)",
  group_by: "Group by", g_month: "Month", g_bank: "Bank", g_asset_kind: "Asset kind", g_region: "Region",
  show: "Show", csv: "Download CSV", permalink: "Permalink (as of index, reproducible)",
  registrations: "Registrations", cases: "Financing cases", amount: "Amount (CNY)", enterprises: "Enterprises",
  yoy: "Year on year", prev_year: "Previous year", totals: "Totals", key: "Group",
  checkpoint_of_answer: "Checkpoint cited by the answer",
  as_of_mismatch: "the as-of index is not the checkpoint's size - 1",
  audit_h: "Audit trail: every log entry", audit_intro: "Every entry of the log, refused statements included, filtered by date, type, participant and asset, page by page.",
  audit_type: "Type (e.g. pledge.register, refusal)", participant: "Participant (e.g. ccb-quzhou)", asset: "Asset id",
  page_size: "Per page", prev_page: "Previous page", next_page: "Next page", audit_table: "Audit trail",
  audit_page: "Page {0}: entries {1}–{2}, {3} shown (log size {4})", audit_range: "Entries {0}–{1}, {2} shown (log size {3})",
  audit_empty: "No entry matches.", audit_end: "End: no further entry matches.",
  parties: "Parties", signers: "Signers", subjects: "Subjects", refused: "Refused", codes: "Codes", warnings: "Warnings",
  audit_source: "The audit trail is the server's answer to a signed request; \"Check\" verifies an entry in this browser: its leaf says what the row shows, the envelope hashes to it, and it is included in a checkpoint signed by the log key.",
  audit_check: "Check", audit_check_all: "Check every entry of this page", audit_included: "in the log", audit_differs: "the leaf and the answer differ ({0})",
  log_h: "Log explorer", latest_cp: "Latest checkpoint", size: "Entries", root: "Root hash", leaf_hash: "Leaf hash",
  latest_entries: "Latest entries", index: "Index", type: "Type", time: "Time", submitter: "Submitter",
  consistency: "Consistency with the checkpoint this browser saw last", first_visit: "First visit: checkpoint recorded; the next visit checks consistency.",
  consistent_with: "Consistent with the last one seen, of size ",
  inconsistent: "INCONSISTENT! The log may have been tampered with or forked. Last size: ",
  log_shrank: "the log shrank from {0} to {1}", same_size_other_root: "same size, another root",
  witness_policy: "Witness policy (kept in this browser)",
  policy_none: "No witness policy configured: paste or load a policy file below (the format of ipledgerd --witness-policy); every lookup then checks the cosignatures against it.",
  policy_file: "Load a policy file", policy_text: "Policy text", policy_save: "Save policy", policy_clear: "Clear policy",
  policy_bad: "The policy cannot be parsed: ", policy_saved: "Policy saved: {0} witnesses, quorum {1}",
  quorum_met: "Quorum met ({0})", quorum_not_met: "Quorum NOT met ({0})",
  cosigned_by: "Witnesses whose cosignature verifies: ", cosign_missing: "Not cosigned by: ", cosign_bad: "Cosignature does not verify: ",
  cosigned_cp: "Cosigned checkpoint: {0} entries", cosign_none: "The server has no cosigned checkpoint yet (404): the witnesses have not cosigned.",
  cosign_consistent: "consistent with the answer's checkpoint", cosign_inconsistent: "not consistent with the answer's checkpoint: ",
  none: "none",
  err_down: "Cannot reach the server. Check the network or try again later.",
  err_401: "Signature not accepted (401). Sign in again; check the key id and that this computer's clock is right (within 5 minutes).",
  err_403: "Not allowed (403). Only the parties concerned, regulators and the registry office see this.",
  err_503: "The server is read-only or busy for now (503); try again later.",
  err_other: "Request failed: ",
  empty: "No data",
  covered: "Covered", not_covered: "No policy in force",
  absence_proven: "status map proof: no policy issued over the asset is standing (proven)",
  absence_unproven: "checkpoint signature verified; \"no policy\" cannot be proven (needs the status map proof)",
  loading: "Loading…",
};

/** Both value maps, for the key check of test/i18n.test.mjs. */
export const words: Record<Lang, Record<Key, string>> = { zh, en };

let lang: Lang | undefined;
export function getLang(): Lang {
  lang ??= localStorage.getItem("ipledger.lang") === "en" ? "en" : "zh";
  return lang;
}
export function setLang(l: Lang): void {
  lang = l;
  localStorage.setItem("ipledger.lang", l);
  document.documentElement.lang = l === "zh" ? "zh-CN" : "en";
}
export function t(k: Key): string {
  return words[getLang()][k];
}
export function tf(k: Key, ...values: unknown[]): string {
  return t(k).replace(/\{(\d)\}/g, (_, i: string) => String(values[Number(i)] ?? ""));
}
