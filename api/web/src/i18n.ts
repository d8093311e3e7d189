// The console's words in zh-CN (the default) and English. t(key) looks up the current
// language; missing English falls back to the key's Chinese.
export type Lang = "zh" | "en";

const zh = {
  title: "ipledger 知识产权质押登记",
  nav_signin: "登录", nav_asset: "资产查询", nav_stats: "监管统计", nav_log: "日志浏览",
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
  signin_btn: "登录", signin_ok: "已登录，角色：", signin_bad_key: "密钥文件无法读取：",
  signin_not_registered: "该密钥未在参与方目录中登记（或已吊销）。请核对密钥标识，或联系登记机构。",
  asset_h: "资产查询", asset_id: "资产标识（例如 patent:2014103620773）", date: "日期（可选）",
  lookup: "查询", public_view: "公开信息", pledge_status: "质押状态", coverage: "保险保障",
  map_proof: "状态映射证明（存在/不存在）", cosignatures: "见证人联署",
  slot_pending: "本服务器尚未提供（功能开发中）",
  pledged: "已质押", not_pledged: "未质押", proven: "（已证明）",
  map_active: "状态映射证明：有效质押登记于条目", map_none: "尚无状态映射根：状态未经证明", map_version: "映射版本（条目）",
  verified: "已在浏览器中验证", failed: "验证失败", unverifiable: "无可验证的证明",
  as_of: "截至条目", pledge_id: "质押编号", pledgee: "质权人", state: "状态", registered_at: "登记条目",
  needs_signin: "此项需要登录（签名请求）。",
  stats_h: "监管统计：知识产权质押登记", from: "起始日期", to: "截止日期", region: "地区代码前缀（例如 3308）",
  group_by: "分组", g_month: "按月", g_bank: "按银行", g_asset_kind: "按资产类别", g_region: "按地区",
  show: "查询", csv: "下载 CSV", permalink: "固定链接（按截至条目复现）",
  registrations: "登记笔数", cases: "融资案件", amount: "金额（元）", enterprises: "企业数",
  yoy: "同比", prev_year: "上年同期", totals: "合计", key: "分组",
  checkpoint_of_answer: "答复所引用的检查点",
  log_h: "日志浏览", latest_cp: "最新检查点", size: "条目数", root: "根哈希",
  latest_entries: "最新条目", index: "序号", type: "类型", time: "时间", submitter: "提交方",
  consistency: "与本浏览器上次所见检查点的一致性", first_visit: "首次访问：已记录此检查点，下次访问时检查一致性。",
  consistent_with: "与上次所见一致，上次大小：", inconsistent: "不一致！日志可能被篡改或分叉。上次大小：",
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
type Key = keyof typeof zh;

const en: Partial<Record<Key, string>> = {
  title: "ipledger IP pledge registry",
  nav_signin: "Sign in", nav_asset: "Asset lookup", nav_stats: "Regulator dashboard", nav_log: "Log explorer",
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
  signin_btn: "Sign in", signin_ok: "Signed in, role: ", signin_bad_key: "Cannot read the key file: ",
  signin_not_registered: "This key is not registered in the participant directory (or is revoked). Check the key id or contact the registry office.",
  asset_h: "Asset lookup", asset_id: "Asset id (e.g. patent:2014103620773)", date: "Date (optional)",
  lookup: "Look up", public_view: "Public view", pledge_status: "Pledge status", coverage: "Insurance coverage",
  map_proof: "Status map proof (presence/absence)", cosignatures: "Witness cosignatures",
  slot_pending: "not provided by this server yet (in development)",
  pledged: "Pledged", not_pledged: "Not pledged", proven: " (proven)",
  map_active: "Status map: active pledge registrations at entries", map_none: "no status map root logged yet: the status is not proven", map_version: "map version (entry)",
  verified: "Verified in this browser", failed: "Verification failed", unverifiable: "No proof to verify",
  as_of: "As of entry", pledge_id: "Pledge", pledgee: "Pledgee", state: "State", registered_at: "Registered at entry",
  needs_signin: "This needs you to sign in (signed requests).",
  stats_h: "Regulator dashboard: IP pledge registrations", from: "From", to: "To", region: "Region code prefix (e.g. 3308)",
  group_by: "Group by", g_month: "Month", g_bank: "Bank", g_asset_kind: "Asset kind", g_region: "Region",
  show: "Show", csv: "Download CSV", permalink: "Permalink (as of index, reproducible)",
  registrations: "Registrations", cases: "Financing cases", amount: "Amount (CNY)", enterprises: "Enterprises",
  yoy: "Year on year", prev_year: "Previous year", totals: "Totals", key: "Group",
  checkpoint_of_answer: "Checkpoint cited by the answer",
  log_h: "Log explorer", latest_cp: "Latest checkpoint", size: "Entries", root: "Root hash",
  latest_entries: "Latest entries", index: "Index", type: "Type", time: "Time", submitter: "Submitter",
  consistency: "Consistency with the checkpoint this browser saw last", first_visit: "First visit: checkpoint recorded; the next visit checks consistency.",
  consistent_with: "Consistent with the last one seen, of size ",
  inconsistent: "INCONSISTENT! The log may have been tampered with or forked. Last size: ",
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

let lang: Lang = (localStorage.getItem("ipledger.lang") as Lang) === "en" ? "en" : "zh";
export function getLang(): Lang {
  return lang;
}
export function setLang(l: Lang): void {
  lang = l;
  localStorage.setItem("ipledger.lang", l);
  document.documentElement.lang = l === "zh" ? "zh-CN" : "en";
}
export function t(k: Key): string {
  return (lang === "en" ? en[k] : undefined) ?? zh[k];
}
