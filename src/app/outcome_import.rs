//! Spreadsheet import of outcomes: the zone or university of approved pairings records many outcomes at
//! once — contracts, payments, conversions, platforms, talents, students, project progress — from the
//! same XLSX or CSV files, rows and report as the demand and team imports ([`super::imports`]).
//!
//! Each row is one outcome, checked as [`App::record_outcome`] checks one, and all rows are recorded in
//! one transaction or none. A payment names its contract by outcome id or, for a contract in the same
//! file, by its row (`第 2 行`); its contract's payments, those earlier in the file included, must stay
//! within the contract's amount. A row equal to an outcome already recorded on its pairing (and not
//! rejected) is counted as unchanged and not recorded again, so uploading a corrected file twice does
//! not count anything twice. A file naming a pairing the caller is not party to is refused whole.

use std::collections::{HashMap, HashSet};

use serde_json::Value;
use tracing::instrument;

use super::catalog::Catalog;
use super::imports::{
    Column, ImportKind, ImportPreview, ImportProblem, ImportReport, Row, TemplateFormat, col,
    data_rows, header_fields, template,
};
use super::outcomes::new_outcome_id;
use super::{App, AppError, Result, actor};
use crate::auth::Principal;
use crate::domain::DemandId;
use crate::outcome::{
    self, ConversionMode, Date, EARLIEST, MAX_AMOUNT_WAN_YUAN, MAX_STUDENTS, MAX_TEXT_CHARS,
    OutcomeDetail, OutcomeError, OutcomeKind, OutcomeStatus, ProjectStage, StudentDegree,
};
use crate::outcome_report::{degree_label, kind_label, mode_label, stage_label, status_label};
use crate::review::PairingStatus;
use crate::spreadsheet::{self, SheetOut, Table};
use crate::store::{NewOutcome, OutcomeRecord, PairingRecord};

/// The columns of an outcome import, in template order. Which of them a row fills depends on its kind
/// ([`fills`]).
pub const OUTCOME_COLUMNS: &[Column] = &[
    col(
        "对接编号",
        "pairing_id",
        true,
        "已批准的对接编号（见“对接”表）",
        "",
    ),
    col(
        "成果类型",
        "kind",
        true,
        "标杆项目进展、技术合同、合同到账、专利转化、共建平台、领军人才、联合培养研究生（各类型要填的列见“成果类型”表）",
        "技术合同",
    ),
    col(
        "名称",
        "name",
        false,
        "项目名称、合同名称（选填）、平台名称或人才姓名",
        "储能电池热失控预警系统联合开发",
    ),
    col(
        "企业",
        "enterprise",
        false,
        "签约企业（技术合同）或受让企业（专利转化）",
        "苏州某储能科技有限公司",
    ),
    col(
        "金额（万元）",
        "amount_wan_yuan",
        false,
        "合同金额、到账金额或转化金额，单位万元，大于 0",
        "500",
    ),
    col(
        "日期",
        "date",
        false,
        "签订、到账、转化、建成、聘任日期或项目进展日期，格式 YYYY-MM-DD，不晚于今天",
        "2026-03-02",
    ),
    col(
        "所属合同",
        "contract_id",
        false,
        "合同到账必填：已登记合同的编号（见“合同”表），或本文件中合同所在的行，如“第 2 行”",
        "",
    ),
    col(
        "项目阶段",
        "stage",
        false,
        "标杆项目进展必填：计划、已签约、实施中、已验收、已终止",
        "",
    ),
    col(
        "需求编号",
        "demand_id",
        false,
        "标杆项目对应的本区企业需求编号（选填）",
        "",
    ),
    col(
        "专利号",
        "patent_no",
        false,
        "专利转化：专利号与成果名称至少填一项",
        "",
    ),
    col(
        "成果名称",
        "achievement",
        false,
        "专利转化：无专利号时填写转化的成果名称",
        "",
    ),
    col(
        "转化方式",
        "mode",
        false,
        "专利转化必填：转让、许可、作价入股",
        "",
    ),
    col(
        "平台类型",
        "platform_kind",
        false,
        "共建平台必填，如 联合实验室、中试基地、新型研发机构",
        "",
    ),
    col(
        "平台级别",
        "level",
        false,
        "共建平台必填，如 国家级、省级、市级",
        "",
    ),
    col("职称", "talent_title", false, "领军人才的职称（选填）", ""),
    col(
        "年份",
        "year",
        false,
        "联合培养研究生必填：培养年份，如 2026",
        "",
    ),
    col(
        "学位",
        "degree",
        false,
        "联合培养研究生必填：硕士、博士",
        "",
    ),
    col("人数", "count", false, "联合培养研究生必填：人数，整数", ""),
];

/// One column a kind fills: the column's field, the record field it becomes, and whether it is
/// required for the kind.
type Fill = (&'static str, &'static str, bool);

/// The columns each kind fills beyond 对接编号 and 成果类型; any other column must be left empty.
fn fills(kind: OutcomeKind) -> &'static [Fill] {
    match kind {
        OutcomeKind::Project => &[
            ("name", "title", true),
            ("stage", "stage", true),
            ("date", "date", true),
            ("demand_id", "demand_id", false),
        ],
        OutcomeKind::Contract => &[
            ("enterprise", "enterprise", true),
            ("amount_wan_yuan", "amount_wan_yuan", true),
            ("date", "signed_on", true),
            ("name", "title", false),
        ],
        OutcomeKind::Payment => &[
            ("contract_id", "contract_id", true),
            ("amount_wan_yuan", "amount_wan_yuan", true),
            ("date", "received_on", true),
        ],
        OutcomeKind::PatentConversion => &[
            ("patent_no", "patent_no", false),
            ("achievement", "achievement", false),
            ("mode", "mode", true),
            ("amount_wan_yuan", "amount_wan_yuan", true),
            ("enterprise", "enterprise", true),
            ("date", "date", true),
        ],
        OutcomeKind::Platform => &[
            ("name", "name", true),
            ("platform_kind", "platform_kind", true),
            ("level", "level", true),
            ("date", "built_on", true),
        ],
        OutcomeKind::Talent => &[
            ("name", "name", true),
            ("talent_title", "title", false),
            ("date", "appointed_on", true),
        ],
        OutcomeKind::Students => &[
            ("year", "year", true),
            ("degree", "degree", true),
            ("count", "count", true),
        ],
    }
}

/// The column field a record field of `kind` comes from.
fn column_of(kind: OutcomeKind, field: &str) -> &'static str {
    fills(kind)
        .iter()
        .find(|(_, f, _)| *f == field)
        .map_or("kind", |(c, _, _)| c)
}

/// The header of a column field.
fn header(field: &str) -> &'static str {
    OUTCOME_COLUMNS
        .iter()
        .find(|c| c.field == field)
        .map_or("", |c| c.header)
}

/// Other ways people write a kind, beside its label and its wire name.
const KIND_ALIASES: &[(&str, OutcomeKind)] = &[
    ("项目", OutcomeKind::Project),
    ("标杆项目", OutcomeKind::Project),
    ("项目进展", OutcomeKind::Project),
    ("合同", OutcomeKind::Contract),
    ("到账", OutcomeKind::Payment),
    ("回款", OutcomeKind::Payment),
    ("合同到款", OutcomeKind::Payment),
    ("成果转化", OutcomeKind::PatentConversion),
    ("平台", OutcomeKind::Platform),
    ("人才", OutcomeKind::Talent),
    ("研究生", OutcomeKind::Students),
    ("联合培养", OutcomeKind::Students),
];

fn parse_kind(text: &str) -> Option<OutcomeKind> {
    OutcomeKind::ALL
        .iter()
        .copied()
        .find(|k| kind_label(*k) == text || k.as_str() == text)
        .or_else(|| {
            KIND_ALIASES
                .iter()
                .find(|(alias, _)| *alias == text)
                .map(|(_, k)| *k)
        })
}

/// A value of a closed list, written as its Chinese label (with or without a leading 已 or a trailing
/// 研究生) or its wire name.
fn parse_choice<T: Copy>(
    text: &str,
    all: &[T],
    label: fn(T) -> &'static str,
    wire: fn(T) -> &'static str,
) -> Option<T> {
    let bare = |s: &str| -> String {
        let s = s.trim();
        let s = s.strip_prefix('已').unwrap_or(s);
        s.strip_suffix("研究生").unwrap_or(s).to_owned()
    };
    all.iter()
        .copied()
        .find(|v| wire(*v) == text || label(*v) == text || bare(label(*v)) == bare(text))
}

/// How a payment names its contract.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ContractRef {
    /// A contract row of the same file.
    Row(usize),
    /// A contract already recorded.
    Id(String),
}

impl ContractRef {
    /// `第 2 行`, `第2行`, `行2` or `2` name a row; anything else an outcome id.
    fn parse(text: &str) -> ContractRef {
        let digits: String = text
            .trim()
            .trim_start_matches('第')
            .trim_start_matches('行')
            .trim_end_matches('行')
            .trim()
            .to_owned();
        match digits.parse::<usize>() {
            Ok(n) if !digits.is_empty() => ContractRef::Row(n),
            _ => ContractRef::Id(text.trim().to_owned()),
        }
    }
}

/// A row read into an outcome, before payments are matched to their contracts.
struct Parsed {
    row: usize,
    pairing_id: String,
    detail: OutcomeDetail,
    contract: Option<ContractRef>,
}

/// An outcome contract message, in Chinese.
fn chinese(err: &OutcomeError, today: Date) -> String {
    let OutcomeError::Invalid { field, message } = err else {
        return format!("不符合数据约定：{err}");
    };
    let known: &[(&str, String)] = &[
        ("must not be blank", "必填，不能为空".to_owned()),
        ("characters", format!("太长，最多 {MAX_TEXT_CHARS} 个字")),
        ("must be positive", "应大于 0".to_owned()),
        ("万元", format!("不能超过 {MAX_AMOUNT_WAN_YUAN} 万元")),
        ("is not a date", "不是日期，格式应为 YYYY-MM-DD".to_owned()),
        ("must not be before", format!("不能早于 {EARLIEST}")),
        (
            "must not be in the future",
            format!("不能晚于今天（{today}）"),
        ),
        (
            "name the patent number",
            "专利号与成果名称至少填一项".to_owned(),
        ),
    ];
    if let Some((_, zh)) = known.iter().find(|(en, _)| message.contains(en)) {
        return zh.clone();
    }
    match field.as_str() {
        "year" => format!("应为 {} 到 {} 之间的年份", EARLIEST.year, today.year),
        "count" => format!("应为 1 到 {MAX_STUDENTS} 之间的整数"),
        _ => format!("不符合数据约定：{message}"),
    }
}

/// Reads the kind-specific cells of a row into a record (`None` with the row's problems when they are
/// wrong). A payment's contract is left as written, to be matched by [`plan`].
fn read_detail(
    row: &mut Row<'_>,
    kind: OutcomeKind,
) -> Option<(OutcomeDetail, Option<ContractRef>)> {
    let label = kind_label(kind);
    for c in OUTCOME_COLUMNS.iter().skip(2) {
        let filled = !row.text(c.field).is_empty();
        let used = fills(kind).iter().any(|(f, _, _)| *f == c.field);
        if filled && !used {
            row.problem(c.field, format!("“{}”不适用于{label}，请留空", c.header));
        }
    }
    for (field, _, required) in fills(kind) {
        if *required && row.text(field).is_empty() {
            row.problem(field, format!("{label}必须填写“{}”", header(field)));
        }
    }
    let stage = choice(
        row,
        "stage",
        "项目阶段",
        ProjectStage::ALL,
        stage_label,
        ProjectStage::as_str,
    );
    let mode = choice(
        row,
        "mode",
        "转化方式",
        ConversionMode::ALL,
        mode_label,
        ConversionMode::as_str,
    );
    let degree = choice(
        row,
        "degree",
        "学位",
        StudentDegree::ALL,
        degree_label,
        StudentDegree::as_str,
    );
    let amount = row.number("amount_wan_yuan", "金额");
    let year = row.count("year", "年份");
    let count = row.count("count", "人数");
    if !row.problems.is_empty() {
        return None;
    }
    let text = |field: &str| row.text(field);
    let optional = |field: &str| Some(row.text(field)).filter(|s| !s.is_empty());
    let amount_wan_yuan = amount.unwrap_or_default();
    let mut contract = None;
    let detail = match kind {
        OutcomeKind::Project => OutcomeDetail::Project {
            demand_id: optional("demand_id"),
            title: text("name"),
            stage: stage?,
            date: text("date"),
        },
        OutcomeKind::Contract => OutcomeDetail::Contract {
            enterprise: text("enterprise"),
            amount_wan_yuan,
            signed_on: text("date"),
            title: optional("name"),
        },
        OutcomeKind::Payment => {
            contract = Some(ContractRef::parse(&text("contract_id")));
            OutcomeDetail::Payment {
                contract_id: text("contract_id"),
                amount_wan_yuan,
                received_on: text("date"),
            }
        }
        OutcomeKind::PatentConversion => OutcomeDetail::PatentConversion {
            achievement: optional("achievement"),
            patent_no: optional("patent_no"),
            mode: mode?,
            amount_wan_yuan,
            enterprise: text("enterprise"),
            date: text("date"),
        },
        OutcomeKind::Platform => OutcomeDetail::Platform {
            name: text("name"),
            platform_kind: text("platform_kind"),
            level: text("level"),
            built_on: text("date"),
        },
        OutcomeKind::Talent => OutcomeDetail::Talent {
            name: text("name"),
            title: optional("talent_title"),
            appointed_on: text("date"),
        },
        OutcomeKind::Students => OutcomeDetail::Students {
            year: i32::try_from(year?).unwrap_or(i32::MAX),
            degree: degree?,
            count: count?,
        },
    };
    Some((detail, contract))
}

/// A closed-list cell: empty is `None` without a problem (a required one is reported elsewhere).
fn choice<T: Copy>(
    row: &mut Row<'_>,
    field: &str,
    what: &str,
    all: &[T],
    label: fn(T) -> &'static str,
    wire: fn(T) -> &'static str,
) -> Option<T> {
    let text = row.text(field);
    if text.is_empty() {
        return None;
    }
    let found = parse_choice(&text, all, label, wire);
    if found.is_none() {
        let values: Vec<&str> = all.iter().map(|v| label(*v)).collect();
        row.problem(
            field,
            format!("未知的{what}“{text}”；可填：{}", values.join("、")),
        );
    }
    found
}

/// What identifies an outcome when rows are compared with what is recorded: its pairing and its record,
/// amounts to the yuan.
fn identity(pairing_id: &str, detail: &OutcomeDetail) -> String {
    let mut value = serde_json::to_value(detail).unwrap_or(Value::Null);
    if let Some(amount) = value.get_mut("amount_wan_yuan")
        && let Some(x) = amount.as_f64()
    {
        *amount = Value::from((x * 10_000.0).round() as i64);
    }
    format!("{pairing_id}\u{1f}{value}")
}

/// Rows read and checked, ready to record.
pub(super) struct OutcomePlan {
    pub(super) report: ImportReport,
    /// In the order to record them: every kind but payments in file order, then payments.
    pub(super) outcomes: Vec<NewOutcome>,
}

/// Reads every row of `table` into outcomes the caller may record, with every problem. `pairings` holds
/// the pairings the file names (those that exist), `existing` every outcome recorded on them.
pub(super) fn plan(
    who: &Principal,
    c: &Catalog,
    table: &Table,
    pairings: &HashMap<String, PairingRecord>,
    existing: &[OutcomeRecord],
    today: Date,
) -> Result<OutcomePlan> {
    let mut report = ImportReport::default();
    let fields = header_fields(table, OUTCOME_COLUMNS, &mut report.errors);
    let mut parsed: Vec<Parsed> = Vec::new();
    let mut failed: HashSet<usize> = HashSet::new();
    for mut row in data_rows(table, &fields, OUTCOME_COLUMNS) {
        report.rows += 1;
        let pairing_id = row.text("pairing_id");
        let pairing = if pairing_id.is_empty() {
            row.problem("pairing_id", "“对接编号”必填，不能为空");
            None
        } else {
            match pairings.get(&pairing_id) {
                None => {
                    row.problem(
                        "pairing_id",
                        format!("未知的对接编号“{pairing_id}”（见模板的“对接”表）"),
                    );
                    None
                }
                Some(p) if !who.role.involved_in(&p.zone_id, &p.university_id) => {
                    let action = format!(
                        "record outcomes on pairing {pairing_id}, which does not involve it (row {})",
                        row.number
                    );
                    return Err(who.role.forbidden(action).into());
                }
                Some(p) if p.superseded_by.is_some() => {
                    row.problem("pairing_id", "该对接已由新方案取代，不能登记成果");
                    None
                }
                Some(p) if p.status != PairingStatus::Approved => {
                    row.problem(
                        "pairing_id",
                        format!(
                            "该对接尚未批准（当前：{}），批准后才能登记成果",
                            super::proposals::label(p.status, false, false)
                        ),
                    );
                    None
                }
                Some(p) => Some(p),
            }
        };
        let kind_text = row.text("kind");
        let kind = if kind_text.is_empty() {
            row.problem("kind", "“成果类型”必填，不能为空");
            None
        } else {
            let kind = parse_kind(&kind_text);
            if kind.is_none() {
                let labels: Vec<&str> = OutcomeKind::ALL.iter().map(|k| kind_label(*k)).collect();
                row.problem(
                    "kind",
                    format!("未知的成果类型“{kind_text}”；可填：{}", labels.join("、")),
                );
            }
            kind
        };
        let read = kind.and_then(|kind| Some((kind, read_detail(&mut row, kind)?)));
        if let (Some(pairing), Some((kind, (detail, contract)))) = (pairing, read) {
            if let Err(err) = detail.check(today) {
                let field = err.field().unwrap_or("kind").to_owned();
                row.problem_at(column_of(kind, &field), &field, chinese(&err, today));
            }
            if let OutcomeDetail::Project {
                demand_id: Some(demand),
                ..
            } = &detail
                && c.demands
                    .get(&DemandId(demand.clone()))
                    .is_none_or(|d| d.zone_id != pairing.zone_id)
            {
                let zone = c.zone_name(&pairing.zone_id);
                row.problem("demand_id", format!("“{demand}”不是{zone}的企业需求"));
            }
            if row.problems.is_empty() {
                parsed.push(Parsed {
                    row: row.number,
                    pairing_id,
                    detail,
                    contract,
                });
            }
        }
        if !row.problems.is_empty() {
            failed.insert(row.number);
            report.errors.append(&mut row.problems);
        }
    }

    // Every kind but payments: each row is new, or equal to what is recorded (unchanged).
    let live: HashMap<String, &OutcomeRecord> = existing
        .iter()
        .filter(|o| o.status != OutcomeStatus::Rejected)
        .map(|o| (identity(&o.pairing_id, &o.detail), o))
        .collect();
    let mut in_file: HashMap<String, usize> = HashMap::new();
    let mut outcome_of_row: HashMap<usize, String> = HashMap::new();
    let mut outcomes = Vec::new();
    let mut payments = Vec::new();
    let mut problems = Vec::new();
    let mut settle = |p: &Parsed,
                      id: &mut HashMap<usize, String>,
                      report: &mut ImportReport,
                      problems: &mut Vec<(usize, &'static str, &'static str, String)>|
     -> Option<NewOutcome> {
        let key = identity(&p.pairing_id, &p.detail);
        if let Some(first) = in_file.insert(key.clone(), p.row) {
            problems.push((
                p.row,
                "kind",
                "kind",
                format!("与第 {first} 行相同；同一成果只登记一次，确为两笔的请合并为一行"),
            ));
            return None;
        }
        if let Some(recorded) = live.get(&key) {
            report.unchanged += 1;
            id.insert(p.row, recorded.id.clone());
            return None;
        }
        let new = NewOutcome {
            id: new_outcome_id(),
            pairing_id: p.pairing_id.clone(),
            detail: p.detail.clone(),
        };
        id.insert(p.row, new.id.clone());
        report.created += 1;
        Some(new)
    };
    for p in &parsed {
        if p.contract.is_some() {
            payments.push(p);
        } else if let Some(new) = settle(p, &mut outcome_of_row, &mut report, &mut problems) {
            outcomes.push(new);
        }
    }

    // Payments, in file order: each matched to its contract and kept within it.
    let by_row: HashMap<usize, &Parsed> = parsed.iter().map(|p| (p.row, p)).collect();
    let mut received: HashMap<String, f64> = HashMap::new();
    for o in existing
        .iter()
        .filter(|o| o.status != OutcomeStatus::Rejected)
    {
        if let (Some(contract), Some(amount)) = (o.detail.contract_id(), o.detail.amount_wan_yuan())
        {
            *received.entry(contract.to_owned()).or_default() += amount;
        }
    }
    for p in payments {
        let amount = p.detail.amount_wan_yuan().unwrap_or_default();
        let contract = match p.contract.as_ref() {
            Some(ContractRef::Row(n)) => match by_row.get(n) {
                _ if failed.contains(n) => Err(format!("第 {n} 行的合同有问题，请先改正那一行")),
                Some(q)
                    if q.detail.kind() == OutcomeKind::Contract && q.pairing_id == p.pairing_id =>
                {
                    match outcome_of_row.get(n) {
                        Some(id) => {
                            Ok((id.clone(), q.detail.amount_wan_yuan().unwrap_or_default()))
                        }
                        None => Err(format!("第 {n} 行的合同未能登记，请先改正那一行")),
                    }
                }
                Some(q) if q.detail.kind() == OutcomeKind::Contract => {
                    Err(format!("第 {n} 行的合同属于另一个对接（{}）", q.pairing_id))
                }
                _ => Err(format!("第 {n} 行不是本文件中的技术合同")),
            },
            Some(ContractRef::Id(id)) => match existing.iter().find(|o| &o.id == id) {
                Some(o) if o.pairing_id != p.pairing_id => Err(format!("“{id}”不是本对接的合同")),
                Some(o) if o.kind != OutcomeKind::Contract => Err(format!("“{id}”不是技术合同")),
                Some(o) if o.status == OutcomeStatus::Rejected => {
                    Err(format!("合同“{id}”已被退回，不能再登记到账"))
                }
                Some(o) => Ok((o.id.clone(), o.detail.amount_wan_yuan().unwrap_or_default())),
                None => Err(format!(
                    "未知的合同“{id}”（见模板的“合同”表，或填本文件中合同所在的行）"
                )),
            },
            None => continue,
        };
        let (contract_id, contract_amount) = match contract {
            Ok(found) => found,
            Err(message) => {
                problems.push((p.row, "contract_id", "contract_id", message));
                continue;
            }
        };
        let resolved = Parsed {
            row: p.row,
            pairing_id: p.pairing_id.clone(),
            detail: OutcomeDetail::Payment {
                contract_id: contract_id.clone(),
                amount_wan_yuan: amount,
                received_on: match &p.detail {
                    OutcomeDetail::Payment { received_on, .. } => received_on.clone(),
                    _ => String::new(),
                },
            },
            contract: None,
        };
        let so_far = received.get(&contract_id).copied().unwrap_or_default();
        let key = identity(&resolved.pairing_id, &resolved.detail);
        if !live.contains_key(&key)
            && let Err(OutcomeError::PaymentAboveContract { total, .. }) =
                outcome::payment_fits(&contract_id, contract_amount, so_far, amount)
        {
            problems.push((
                p.row,
                "amount_wan_yuan",
                "amount_wan_yuan",
                format!(
                    "累计到账将达 {total} 万元，超过合同金额 {contract_amount} 万元（此前已到账 {so_far} 万元）"
                ),
            ));
            continue;
        }
        if let Some(new) = settle(&resolved, &mut outcome_of_row, &mut report, &mut problems) {
            *received.entry(contract_id).or_default() += amount;
            outcomes.push(new);
        }
    }
    for (row, column, field, message) in problems {
        report.errors.push(ImportProblem {
            row,
            column: header(column).to_owned(),
            field: field.to_owned(),
            message,
        });
    }
    report.errors.sort_by_key(|e| e.row);
    Ok(OutcomePlan { report, outcomes })
}

/// The pairing ids a file names, each once.
fn pairing_ids(table: &Table) -> Vec<String> {
    let fields = header_fields(table, OUTCOME_COLUMNS, &mut Vec::new());
    let Some(column) = fields.iter().position(|f| *f == Some("pairing_id")) else {
        return Vec::new();
    };
    table
        .rows
        .iter()
        .skip(1)
        .filter_map(|r| r.get(column))
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

impl App {
    /// Imports outcomes from an XLSX or CSV file: with `dry_run`, or with any problem, nothing is
    /// recorded and the report lists what would be; else every new row is recorded, pending the
    /// department's verification, in one transaction.
    #[instrument(skip(self, who, bytes), fields(role = who.role.kind(), bytes = bytes.len()))]
    pub(super) async fn import_outcomes(
        &self,
        who: &Principal,
        bytes: Vec<u8>,
        dry_run: bool,
    ) -> Result<ImportReport> {
        if who.role.is_department() {
            return Err(who
                .role
                .forbidden("import outcomes; the pairings' zones and universities record them")
                .into());
        }
        let caller = who.clone();
        let actor = actor(who);
        self.blocking(move |app| {
            let table = spreadsheet::read(&bytes).map_err(AppError::Spreadsheet)?;
            let mut ids = pairing_ids(&table);
            ids.sort();
            ids.dedup();
            let store = &app.inner.store;
            let pairings: HashMap<String, PairingRecord> = store
                .pairings_by_id(&ids)?
                .into_iter()
                .map(|p| (p.id.clone(), p))
                .collect();
            let known: Vec<String> = pairings.keys().cloned().collect();
            let existing = store.outcomes_of_pairings(&known)?;
            let mut plan = plan(
                &caller,
                &app.catalog(),
                &table,
                &pairings,
                &existing,
                Date::today(),
            )?;
            if dry_run || !plan.report.errors.is_empty() {
                plan.report.preview = Some(ImportPreview::of(&table));
                return Ok(plan.report);
            }
            store.record_outcomes(&plan.outcomes, &actor)?;
            Ok(plan.report)
        })
        .await
    }

    /// The outcome import's template: the example row names the caller's first approved pairing; the
    /// XLSX adds sheets of the caller's approved pairings, the columns each kind fills, the values of the
    /// list columns, and the contracts already recorded (for payments).
    pub(super) async fn outcome_template(
        &self,
        who: &Principal,
        format: TemplateFormat,
    ) -> Result<Vec<u8>> {
        let role = who.role.clone();
        self.blocking(move |app| {
            let store = &app.inner.store;
            let pairings: Vec<PairingRecord> = store
                .pairings_with_status(PairingStatus::Approved)?
                .into_iter()
                .filter(|p| role.involved_in(&p.zone_id, &p.university_id))
                .collect();
            let c = app.catalog();
            let mut example: Vec<String> = OUTCOME_COLUMNS
                .iter()
                .map(|c| c.example.to_owned())
                .collect();
            example[0] = pairings.first().map(|p| p.id.clone()).unwrap_or_default();
            let mut pairing_rows = vec![vec![
                "编号".to_owned(),
                "高新区".to_owned(),
                "高校".to_owned(),
                "产业方向".to_owned(),
            ]];
            pairing_rows.extend(pairings.iter().map(|p| {
                vec![
                    p.id.clone(),
                    c.zone_name(&p.zone_id),
                    c.university_name(&p.university_id),
                    c.track(&p.track_id)
                        .map_or_else(|| p.track_id.to_string(), |t| t.name.clone()),
                ]
            }));
            let mut kind_rows = vec![vec![
                "成果类型".to_owned(),
                "必填的列".to_owned(),
                "选填的列".to_owned(),
            ]];
            kind_rows.extend(OutcomeKind::ALL.iter().map(|k| {
                let cols = |required: bool| -> String {
                    fills(*k)
                        .iter()
                        .filter(|(_, _, r)| *r == required)
                        .map(|(f, _, _)| header(f))
                        .collect::<Vec<_>>()
                        .join("、")
                };
                vec![kind_label(*k).to_owned(), cols(true), cols(false)]
            }));
            let mut values = vec![vec!["列".to_owned(), "可填的值".to_owned()]];
            let list = |labels: Vec<&str>| labels.join("、");
            values.push(vec![
                "项目阶段".to_owned(),
                list(ProjectStage::ALL.iter().map(|v| stage_label(*v)).collect()),
            ]);
            values.push(vec![
                "转化方式".to_owned(),
                list(ConversionMode::ALL.iter().map(|v| mode_label(*v)).collect()),
            ]);
            values.push(vec![
                "学位".to_owned(),
                list(
                    StudentDegree::ALL
                        .iter()
                        .map(|v| degree_label(*v))
                        .collect(),
                ),
            ]);
            let ids: Vec<String> = pairings.iter().map(|p| p.id.clone()).collect();
            let outcomes = store.outcomes_of_pairings(&ids)?;
            let mut contract_rows = vec![vec![
                "合同编号".to_owned(),
                "对接编号".to_owned(),
                "企业".to_owned(),
                "合同金额（万元）".to_owned(),
                "已登记到账（万元）".to_owned(),
                "状态".to_owned(),
            ]];
            for o in outcomes
                .iter()
                .filter(|o| o.kind == OutcomeKind::Contract && o.status != OutcomeStatus::Rejected)
            {
                let paid: f64 = outcomes
                    .iter()
                    .filter(|p| {
                        p.status != OutcomeStatus::Rejected
                            && p.detail.contract_id() == Some(o.id.as_str())
                    })
                    .filter_map(|p| p.detail.amount_wan_yuan())
                    .sum();
                let enterprise = match &o.detail {
                    OutcomeDetail::Contract { enterprise, .. } => enterprise.clone(),
                    _ => String::new(),
                };
                contract_rows.push(vec![
                    o.id.clone(),
                    o.pairing_id.clone(),
                    enterprise,
                    spreadsheet::number_text(o.detail.amount_wan_yuan().unwrap_or_default()),
                    spreadsheet::number_text(paid),
                    status_label(o.status).to_owned(),
                ]);
            }
            let lists = vec![
                SheetOut {
                    name: "对接",
                    rows: pairing_rows,
                    widths: vec![24.0, 20.0, 20.0, 20.0],
                },
                SheetOut {
                    name: "成果类型",
                    rows: kind_rows,
                    widths: vec![16.0, 40.0, 24.0],
                },
                SheetOut {
                    name: "可填的值",
                    rows: values,
                    widths: vec![12.0, 50.0],
                },
                SheetOut {
                    name: "合同",
                    rows: contract_rows,
                    widths: vec![22.0, 24.0, 28.0, 14.0, 16.0, 10.0],
                },
            ];
            template(ImportKind::Outcomes, format, example, lists)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: Date = Date {
        year: 2026,
        month: 12,
        day: 7,
    };

    #[test]
    fn every_rule_of_a_record_reads_in_chinese() {
        let long = "长".repeat(MAX_TEXT_CHARS + 1);
        let platform = |name: &str, built_on: &str| OutcomeDetail::Platform {
            name: name.to_owned(),
            platform_kind: "联合实验室".into(),
            level: "省级".into(),
            built_on: built_on.to_owned(),
        };
        let contract = |amount: f64| OutcomeDetail::Contract {
            enterprise: "某公司".into(),
            amount_wan_yuan: amount,
            signed_on: "2026-01-02".into(),
            title: None,
        };
        let students = |year: i32, count: u32| OutcomeDetail::Students {
            year,
            degree: StudentDegree::Master,
            count,
        };
        let conversion = OutcomeDetail::PatentConversion {
            achievement: None,
            patent_no: None,
            mode: ConversionMode::Licence,
            amount_wan_yuan: 1.0,
            enterprise: "某公司".into(),
            date: "2026-01-02".into(),
        };
        let bad = [
            platform(" ", "2026-01-02"),
            platform(&long, "2026-01-02"),
            platform("平台", "2026-02-30"),
            platform("平台", "1999-12-31"),
            platform("平台", "2027-01-01"),
            contract(0.0),
            contract(MAX_AMOUNT_WAN_YUAN * 2.0),
            students(1999, 3),
            students(2026, 0),
            conversion,
        ];
        for detail in bad {
            let err = detail.check(TODAY).expect_err("a broken record");
            let zh = chinese(&err, TODAY);
            assert!(!zh.starts_with("不符合数据约定"), "{err} reads as {zh}");
        }
    }

    #[test]
    fn payments_name_a_row_or_a_recorded_contract() {
        for text in ["第 2 行", "第2行", "行2", "2", " 2 "] {
            assert_eq!(ContractRef::parse(text), ContractRef::Row(2), "{text}");
        }
        assert_eq!(
            ContractRef::parse("o-00ab"),
            ContractRef::Id("o-00ab".into())
        );
        assert_eq!(ContractRef::parse("第行"), ContractRef::Id("第行".into()));
    }

    #[test]
    fn list_values_read_as_people_write_them() {
        let stage = |t: &str| parse_choice(t, ProjectStage::ALL, stage_label, ProjectStage::as_str);
        assert_eq!(stage("已验收"), Some(ProjectStage::Accepted));
        assert_eq!(stage("验收"), Some(ProjectStage::Accepted));
        assert_eq!(stage("in_progress"), Some(ProjectStage::InProgress));
        assert_eq!(stage("完成"), None);
        let degree =
            |t: &str| parse_choice(t, StudentDegree::ALL, degree_label, StudentDegree::as_str);
        assert_eq!(degree("博士研究生"), Some(StudentDegree::Doctoral));
        assert_eq!(parse_kind("到账"), Some(OutcomeKind::Payment));
        assert_eq!(parse_kind("专利转化"), Some(OutcomeKind::PatentConversion));
        assert_eq!(parse_kind("奖励"), None);
    }

    #[test]
    fn every_kind_fills_only_import_columns() {
        for kind in OutcomeKind::ALL {
            for (column, _, _) in fills(*kind) {
                assert!(!header(column).is_empty(), "{kind}: {column}");
            }
        }
    }
}
