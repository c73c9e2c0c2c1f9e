//! Spreadsheet imports of demands and teams: the columns of each kind (Chinese headers, what each holds),
//! the template, and the import itself — every row read into a record, checked like a single write
//! ([`check_record`]), and all rows written in one transaction or none ([`App::save_records`]).
//!
//! Rows are numbered as the spreadsheet shows them (the header is row 1); every problem names its row,
//! its column header and the contract field, in Chinese. A caller imports only into what it owns: a file
//! that names another zone's demand (or another university's team) is refused whole. Outcomes are read
//! from the same kind of file, with the same rows and report, by [`super::outcome_import`].

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::Serialize;
use tracing::instrument;

use super::catalog::Catalog;
use super::records::{CatalogRecord, check_record};
use super::{App, AppError, Result};
use crate::auth::{Principal, Role};
use crate::domain::{Demand, DemandId, Enterprise, Leader, Team, TeamId, UniversityId, ZoneId};
use crate::spreadsheet::{self, SheetOut, Table};

/// What is imported: demands or teams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Demands,
    Teams,
    /// Outcomes of approved pairings ([`super::outcome_import`]).
    Outcomes,
}

/// The file format of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateFormat {
    Xlsx,
    Csv,
}

/// What an import did, or would do on a dry run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Data rows read (empty rows are skipped).
    pub rows: usize,
    /// Rows that add a new record.
    pub created: usize,
    /// Rows that change an existing record.
    pub updated: usize,
    /// Rows equal to the existing record.
    pub unchanged: usize,
    /// Every problem, by row; with any, nothing is written.
    pub errors: Vec<ImportProblem>,
    /// The file as read, on a dry run or when nothing was written, for a preview.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview: Option<ImportPreview>,
}

/// A file's cells as the import read them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ImportPreview {
    /// Row 1.
    pub header: Vec<String>,
    /// The data rows read (empty rows skipped).
    pub rows: Vec<PreviewRow>,
}

/// One data row of a preview.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PreviewRow {
    /// Row as the spreadsheet numbers it.
    pub row: usize,
    pub cells: Vec<String>,
}

impl ImportPreview {
    pub(super) fn of(table: &Table) -> ImportPreview {
        ImportPreview {
            header: table.rows.first().cloned().unwrap_or_default(),
            rows: table
                .rows
                .iter()
                .enumerate()
                .skip(1)
                .filter(|(_, cells)| cells.iter().any(|s| !s.trim().is_empty()))
                .map(|(i, cells)| PreviewRow {
                    row: i + 1,
                    cells: cells.clone(),
                })
                .collect(),
        }
    }
}

/// One problem of an imported file, at one cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ImportProblem {
    /// Row as the spreadsheet numbers it (the header is row 1).
    pub row: usize,
    /// The column's header, e.g. `预算（万元）` (empty when the problem is the whole row).
    pub column: String,
    /// The contract field the column fills, e.g. `budget_wan_yuan`.
    pub field: String,
    /// What is wrong, in Chinese.
    pub message: String,
}

/// One column of an import: its header, the field it fills, and how to fill it.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub header: &'static str,
    pub field: &'static str,
    pub required: bool,
    pub help: &'static str,
    pub example: &'static str,
}

pub(super) const fn col(
    header: &'static str,
    field: &'static str,
    required: bool,
    help: &'static str,
    example: &'static str,
) -> Column {
    Column {
        header,
        field,
        required,
        help,
        example,
    }
}

/// The separators of a cell holding several values.
const SEPARATORS: &[char] = &['、', '；', ';', '，', ',', '\n', '|'];
pub(super) const MULTI: &str = "多个值用“、”或“；”分隔";

/// The columns of a demand import, in template order.
pub const DEMAND_COLUMNS: &[Column] = &[
    col(
        "编号",
        "id",
        false,
        "留空则自动分配；填写已有编号即修改该需求",
        "",
    ),
    col(
        "所属高新区",
        "zone_id",
        false,
        "高新区编号或名称（见“高新区”表）；高新区账号可留空，默认本区",
        "苏州工业园区",
    ),
    col(
        "需求名称",
        "title",
        true,
        "必填",
        "碳化硅功率器件封装可靠性提升",
    ),
    col(
        "需求描述",
        "description",
        false,
        "企业遇到的技术问题与期望目标",
        "车规级碳化硅模块在高温循环下焊层开裂，需提升封装可靠性",
    ),
    col(
        "企业名称",
        "enterprise.name",
        false,
        "提出需求的企业",
        "苏州某半导体有限公司",
    ),
    col(
        "企业规模",
        "enterprise.size",
        false,
        "如 大型、中型、小型、微型",
        "中型",
    ),
    col("关键词", "keywords", false, MULTI, "碳化硅、功率模块、封装"),
    col(
        "产业方向",
        "track_ids",
        false,
        "产业方向编号或名称（见“产业方向”表）；多个值用“、”分隔",
        "",
    ),
    col(
        "预算（万元）",
        "budget_wan_yuan",
        false,
        "数字，单位万元，如 50",
        "50",
    ),
    col(
        "截止日期",
        "deadline",
        false,
        "日期，格式 YYYY-MM-DD",
        "2027-06-30",
    ),
    col(
        "排除高校",
        "excluded_university_ids",
        false,
        "不希望对接的高校编号或名称；多个值用“、”分隔",
        "",
    ),
];

/// The columns of a team import, in template order. Platforms and achievements are kept as they are
/// (the console edits them).
pub const TEAM_COLUMNS: &[Column] = &[
    col(
        "编号",
        "id",
        false,
        "留空则自动分配；填写已有编号即修改该团队（平台与成果保持不变）",
        "",
    ),
    col(
        "所属高校",
        "university_id",
        false,
        "高校编号或名称（见“高校”表）；高校账号可留空，默认本校",
        "东南大学",
    ),
    col("团队名称", "name", true, "必填", "宽禁带半导体器件团队"),
    col("负责人", "leader.name", false, "团队负责人姓名", "张三"),
    col("负责人职称", "leader.title", false, "如 教授", "教授"),
    col(
        "负责人荣誉",
        "leader.honors",
        false,
        MULTI,
        "国家杰出青年科学基金获得者",
    ),
    col("研究领域", "fields", false, MULTI, "功率半导体、电力电子"),
    col(
        "团队简介",
        "description",
        false,
        "研究方向与代表性成果",
        "长期从事碳化硅功率器件设计与封装研究",
    ),
    col("关键词", "keywords", false, MULTI, "碳化硅、封装、可靠性"),
    col(
        "产业方向",
        "track_ids",
        false,
        "产业方向编号或名称（见“产业方向”表）；多个值用“、”分隔",
        "",
    ),
    col(
        "承接能力（项）",
        "capacity",
        false,
        "可同时承接的项目数，整数，留空为 3",
        "3",
    ),
    col("成员人数", "members", false, "整数", "12"),
];

impl ImportKind {
    pub fn columns(self) -> &'static [Column] {
        match self {
            ImportKind::Demands => DEMAND_COLUMNS,
            ImportKind::Teams => TEAM_COLUMNS,
            ImportKind::Outcomes => super::outcome_import::OUTCOME_COLUMNS,
        }
    }

    pub(super) fn sheet(self) -> &'static str {
        match self {
            ImportKind::Demands => "需求",
            ImportKind::Teams => "团队",
            ImportKind::Outcomes => "成果",
        }
    }

    /// The template's file name (ASCII, for `Content-Disposition`).
    pub fn file_name(self, format: TemplateFormat) -> String {
        let stem = match self {
            ImportKind::Demands => "demands-template",
            ImportKind::Teams => "teams-template",
            ImportKind::Outcomes => "outcomes-template",
        };
        let ext = match format {
            TemplateFormat::Xlsx => "xlsx",
            TemplateFormat::Csv => "csv",
        };
        format!("{stem}.{ext}")
    }
}

/// Names and ids of what a row may refer to, looked up by either.
pub(super) struct Lookup {
    tracks: HashMap<String, String>,
    zones: HashMap<String, String>,
    universities: HashMap<String, String>,
}

impl Lookup {
    fn of(c: &Catalog) -> Lookup {
        fn both<'a>(items: impl Iterator<Item = (&'a str, &'a str)>) -> HashMap<String, String> {
            let mut map = HashMap::new();
            for (id, name) in items {
                map.entry(name.to_owned()).or_insert_with(|| id.to_owned());
                map.insert(id.to_owned(), id.to_owned());
            }
            map
        }
        Lookup {
            tracks: both(c.tracks.iter().map(|t| (t.id.as_str(), t.name.as_str()))),
            zones: both(c.zones.iter().map(|z| (z.id.as_str(), z.name.as_str()))),
            universities: both(
                c.universities
                    .iter()
                    .map(|u| (u.id.as_str(), u.name.as_str())),
            ),
        }
    }
}

/// One data row being read: its number, its cells by field, and its problems.
pub(super) struct Row<'a> {
    pub(super) number: usize,
    pub(super) cells: HashMap<&'static str, &'a str>,
    pub(super) columns: &'static [Column],
    pub(super) problems: Vec<ImportProblem>,
}

impl<'a> Row<'a> {
    pub(super) fn text(&self, field: &str) -> String {
        self.cells
            .get(field)
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    }

    fn given(&self, field: &str) -> bool {
        self.cells.contains_key(field)
    }

    fn list(&self, field: &str) -> Vec<String> {
        self.text(field)
            .split(SEPARATORS)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    pub(super) fn problem(&mut self, field: &str, message: impl Into<String>) {
        self.problem_at(field, field, message);
    }

    /// A problem in the column of `column_field`, naming the contract field `field` it fills.
    pub(super) fn problem_at(
        &mut self,
        column_field: &str,
        field: &str,
        message: impl Into<String>,
    ) {
        let column = self
            .columns
            .iter()
            .find(|c| c.field == column_field)
            .map_or("", |c| c.header);
        self.problems.push(ImportProblem {
            row: self.number,
            column: column.to_owned(),
            field: field.to_owned(),
            message: message.into(),
        });
    }

    /// The ids of a list cell whose values are ids or names in `map` (`what` names them in messages).
    fn refs(&mut self, field: &str, map: &HashMap<String, String>, what: &str) -> Vec<String> {
        let mut out = Vec::new();
        for value in self.list(field) {
            match map.get(&value) {
                Some(id) => out.push(id.clone()),
                None => self.problem(field, format!("未知的{what}“{value}”")),
            }
        }
        out
    }

    /// A number cell: empty is `None`; a trailing unit (`万元`, `万`, `项`, `人`) is allowed.
    pub(super) fn number(&mut self, field: &str, what: &str) -> Option<f64> {
        let text = self.text(field);
        if text.is_empty() {
            return None;
        }
        let bare = ["万元", "万", "项", "人"]
            .iter()
            .find_map(|u| text.strip_suffix(u))
            .unwrap_or(&text)
            .trim()
            .replace(',', "");
        match bare.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => Some(v),
            _ => {
                self.problem(field, format!("{what}应为不小于 0 的数字，读到“{text}”"));
                None
            }
        }
    }

    pub(super) fn count(&mut self, field: &str, what: &str) -> Option<u32> {
        let v = self.number(field, what)?;
        if v.fract() != 0.0 || v > f64::from(u32::MAX) {
            self.problem(field, format!("{what}应为整数，读到“{}”", self.text(field)));
            return None;
        }
        Some(v as u32)
    }
}

/// A team or demand as a spreadsheet row fills it.
pub(super) trait Importable: CatalogRecord + PartialEq {
    const KIND: ImportKind;
    /// The owner's field (`zone_id`, `university_id`).
    const OWNER_FIELD: &'static str;
    /// The owner's kind in messages.
    const OWNER_WORD: &'static str;
    /// Whether `role` can import this kind at all.
    fn role_may_import(role: &Role) -> bool;
    /// The owner a caller's rows default to.
    fn default_owner(role: &Role) -> Option<Self::Owner>;
    fn owner_id(id: String) -> Self::Owner;
    fn make_id(id: String) -> Self::Id;
    fn existing(c: &Catalog, id: &Self::Id) -> Option<Arc<Self>>;
    fn owner_map(l: &Lookup) -> &HashMap<String, String>;
    /// The record a row describes, over the existing one when the row updates it.
    fn from_row(
        row: &mut Row<'_>,
        l: &Lookup,
        base: Option<&Self>,
        id: Self::Id,
        owner: Self::Owner,
    ) -> Self;
}

/// `value`, or the base record's value when the file has no column for `field`.
fn or_keep<B, T>(row: &Row<'_>, field: &str, value: T, base: Option<&B>, get: fn(&B) -> T) -> T {
    match base {
        Some(b) if !row.given(field) => get(b),
        _ => value,
    }
}

impl Importable for Demand {
    const KIND: ImportKind = ImportKind::Demands;
    const OWNER_FIELD: &'static str = "zone_id";
    const OWNER_WORD: &'static str = "高新区";

    fn role_may_import(role: &Role) -> bool {
        !matches!(role, Role::University(_))
    }
    fn default_owner(role: &Role) -> Option<ZoneId> {
        match role {
            Role::Zone(z) => Some(z.clone()),
            _ => None,
        }
    }
    fn owner_id(id: String) -> ZoneId {
        ZoneId(id)
    }
    fn make_id(id: String) -> DemandId {
        DemandId(id)
    }
    fn existing(c: &Catalog, id: &DemandId) -> Option<Arc<Demand>> {
        c.demands.get(id).cloned()
    }
    fn owner_map(l: &Lookup) -> &HashMap<String, String> {
        &l.zones
    }

    fn from_row(
        row: &mut Row<'_>,
        l: &Lookup,
        base: Option<&Demand>,
        id: DemandId,
        zone_id: ZoneId,
    ) -> Demand {
        let enterprise_name = row.text("enterprise.name");
        let enterprise = (!enterprise_name.is_empty()).then(|| Enterprise {
            name: enterprise_name,
            size: row.text("enterprise.size"),
        });
        let deadline = row.text("deadline").replace(['/', '.'], "-");
        let budget = row.number("budget_wan_yuan", "预算");
        let track_ids = row.refs("track_ids", &l.tracks, "产业方向");
        let excluded = row.refs("excluded_university_ids", &l.universities, "高校");
        Demand {
            id,
            zone_id,
            title: row.text("title"),
            description: or_keep(row, "description", row.text("description"), base, |d| {
                d.description.clone()
            }),
            enterprise: or_keep(row, "enterprise.name", enterprise, base, |d| {
                d.enterprise.clone()
            }),
            keywords: or_keep(row, "keywords", row.list("keywords"), base, |d| {
                d.keywords.clone()
            }),
            track_ids: or_keep(
                row,
                "track_ids",
                track_ids.iter().map(|s| s.as_str().into()).collect(),
                base,
                |d| d.track_ids.clone(),
            ),
            budget_wan_yuan: or_keep(row, "budget_wan_yuan", budget, base, |d| d.budget_wan_yuan),
            deadline: or_keep(
                row,
                "deadline",
                (!deadline.is_empty()).then_some(deadline),
                base,
                |d| d.deadline.clone(),
            ),
            excluded_university_ids: or_keep(
                row,
                "excluded_university_ids",
                excluded.into_iter().map(UniversityId).collect(),
                base,
                |d| d.excluded_university_ids.clone(),
            ),
        }
    }
}

impl Importable for Team {
    const KIND: ImportKind = ImportKind::Teams;
    const OWNER_FIELD: &'static str = "university_id";
    const OWNER_WORD: &'static str = "高校";

    fn role_may_import(role: &Role) -> bool {
        !matches!(role, Role::Zone(_))
    }
    fn default_owner(role: &Role) -> Option<UniversityId> {
        match role {
            Role::University(u) => Some(u.clone()),
            _ => None,
        }
    }
    fn owner_id(id: String) -> UniversityId {
        UniversityId(id)
    }
    fn make_id(id: String) -> TeamId {
        TeamId(id)
    }
    fn existing(c: &Catalog, id: &TeamId) -> Option<Arc<Team>> {
        c.teams.get(id).cloned()
    }
    fn owner_map(l: &Lookup) -> &HashMap<String, String> {
        &l.universities
    }

    fn from_row(
        row: &mut Row<'_>,
        l: &Lookup,
        base: Option<&Team>,
        id: TeamId,
        university_id: UniversityId,
    ) -> Team {
        let leader_name = row.text("leader.name");
        let leader = (!leader_name.is_empty()).then(|| Leader {
            name: leader_name,
            title: row.text("leader.title"),
            honors: row.list("leader.honors"),
        });
        let capacity = row.count("capacity", "承接能力");
        let members = row.count("members", "成员人数");
        let track_ids = row.refs("track_ids", &l.tracks, "产业方向");
        Team {
            id,
            university_id,
            name: row.text("name"),
            leader: or_keep(row, "leader.name", leader, base, |t| t.leader.clone()),
            fields: or_keep(row, "fields", row.list("fields"), base, |t| {
                t.fields.clone()
            }),
            description: or_keep(row, "description", row.text("description"), base, |t| {
                t.description.clone()
            }),
            keywords: or_keep(row, "keywords", row.list("keywords"), base, |t| {
                t.keywords.clone()
            }),
            track_ids: or_keep(
                row,
                "track_ids",
                track_ids.iter().map(|s| s.as_str().into()).collect(),
                base,
                |t| t.track_ids.clone(),
            ),
            platforms: base.map(|t| t.platforms.clone()).unwrap_or_default(),
            achievements: base.map(|t| t.achievements.clone()).unwrap_or_default(),
            capacity: capacity
                .or_else(|| base.map(|t| t.capacity))
                .unwrap_or(crate::domain::DEFAULT_TEAM_CAPACITY),
            members: or_keep(row, "members", members, base, |t| t.members),
        }
    }
}

/// The column a contract field path (`track_ids[0]`, `enterprise.name`) falls in.
fn column_field(columns: &[Column], path: &str) -> &'static str {
    let bare: String = path.split('[').next().unwrap_or(path).to_owned();
    columns
        .iter()
        .find(|c| c.field == path || c.field == bare)
        .or_else(|| {
            columns
                .iter()
                .find(|c| c.field.split('.').next() == bare.split('.').next())
        })
        .map_or("", |c| c.field)
}

/// A contract message in Chinese (the contract's checks speak English).
fn chinese(message: &str) -> String {
    let known = [
        ("must not be empty", "不能为空"),
        ("must not be negative", "不能为负数"),
        ("impossible date", "日期不存在或格式不对（应为 YYYY-MM-DD）"),
        ("unknown track", "未知的产业方向"),
        ("unknown zone", "未知的高新区"),
        ("unknown university", "未知的高校"),
        ("must be at most", "太长"),
        ("must not contain", "不能含有空白、/、\\、?、#、%"),
    ];
    known
        .iter()
        .find(|(en, _)| message.contains(en))
        .map_or_else(
            || format!("不符合数据约定：{message}"),
            |(_, zh)| (*zh).to_owned(),
        )
}

/// A fresh id for a record imported without one.
fn fresh_id(prefix: &str, taken: &dyn Fn(&str) -> bool) -> String {
    loop {
        let id = format!("{prefix}-{:010x}", rand::random::<u64>() >> 24);
        if !taken(&id) {
            return id;
        }
    }
}

/// Rows read and checked, ready to write.
struct Plan<R> {
    report: ImportReport,
    created: Vec<R>,
    updated: Vec<R>,
}

/// Matches the header row to columns: every problem is on row 1.
pub(super) fn header_fields(
    table: &Table,
    columns: &'static [Column],
    problems: &mut Vec<ImportProblem>,
) -> Vec<Option<&'static str>> {
    let header = table.rows.first().cloned().unwrap_or_default();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, text) in header.iter().enumerate() {
        let text = text.trim().trim_end_matches('*').trim();
        if text.is_empty() {
            out.push(None);
            continue;
        }
        let found = columns.iter().find(|c| c.header == text || c.field == text);
        let problem = |message: String| ImportProblem {
            row: 1,
            column: text.to_owned(),
            field: String::new(),
            message,
        };
        match found {
            Some(c) if !seen.insert(c.field) => {
                problems.push(problem(format!("第 {} 列重复了“{}”列", i + 1, c.header)));
                out.push(None);
            }
            Some(c) => out.push(Some(c.field)),
            None => {
                problems.push(problem(format!(
                    "未知的列“{text}”；可用的列见模板的“填写说明”表"
                )));
                out.push(None);
            }
        }
    }
    for c in columns.iter().filter(|c| c.required) {
        if !seen.contains(c.field) {
            problems.push(ImportProblem {
                row: 1,
                column: c.header.to_owned(),
                field: c.field.to_owned(),
                message: format!("缺少必填的列“{}”", c.header),
            });
        }
    }
    out
}

/// The data rows of `table` (empty ones skipped), their cells by the field of their column.
pub(super) fn data_rows<'t>(
    table: &'t Table,
    fields: &'t [Option<&'static str>],
    columns: &'static [Column],
) -> impl Iterator<Item = Row<'t>> {
    table
        .rows
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, cells)| cells.iter().any(|s| !s.trim().is_empty()))
        .map(move |(index, cells)| Row {
            number: index + 1,
            cells: fields
                .iter()
                .zip(cells)
                .filter_map(|(f, v)| f.map(|f| (f, v.as_str())))
                .collect(),
            columns,
            problems: Vec::new(),
        })
}

/// Reads every row of `table` into records the caller may write, with every problem.
fn plan<R: Importable>(who: &Principal, c: &Catalog, table: &Table) -> Result<Plan<R>> {
    let columns = R::KIND.columns();
    let mut report = ImportReport::default();
    let fields = header_fields(table, columns, &mut report.errors);
    let lookup = Lookup::of(c);
    let mut seen_ids: HashMap<String, usize> = HashMap::new();
    let (mut created, mut updated) = (Vec::new(), Vec::new());
    for mut row in data_rows(table, &fields, columns) {
        report.rows += 1;
        for c in columns.iter().filter(|c| c.required) {
            if row.text(c.field).is_empty() {
                row.problem(c.field, format!("“{}”必填，不能为空", c.header));
            }
        }
        let owner_text = row.text(R::OWNER_FIELD);
        let owner = if owner_text.is_empty() {
            R::default_owner(&who.role)
        } else {
            match R::owner_map(&lookup).get(&owner_text) {
                Some(id) => Some(R::owner_id(id.clone())),
                None => {
                    let what = R::OWNER_WORD;
                    row.problem(R::OWNER_FIELD, format!("未知的{what}“{owner_text}”"));
                    None
                }
            }
        };
        if owner.is_none() && owner_text.is_empty() {
            row.problem(R::OWNER_FIELD, format!("请填写所属{}", R::OWNER_WORD));
        }
        let id_text = row.text("id");
        let existing = if id_text.is_empty() {
            None
        } else {
            if let Some(first) = seen_ids.insert(id_text.clone(), row.number) {
                row.problem("id", format!("编号“{id_text}”与第 {first} 行重复"));
            }
            R::existing(c, &R::make_id(id_text.clone()))
        };
        if let Some(current) = &existing
            && !R::owns(&who.role, current.owner())
        {
            let action = format!("change {} {id_text} (row {})", R::NOUN, row.number);
            return Err(who.role.forbidden(action).into());
        }
        let Some(owner) = owner else {
            report.errors.append(&mut row.problems);
            continue;
        };
        if !R::owns(&who.role, &owner) {
            let action = format!(
                "import {}s of {} {owner} (row {})",
                R::NOUN,
                R::OWNER,
                row.number
            );
            return Err(who.role.forbidden(action).into());
        }
        let id = if id_text.is_empty() {
            let prefix = match R::KIND {
                ImportKind::Demands => "d-imp",
                _ => "t-imp",
            };
            let id = fresh_id(prefix, &|id| {
                seen_ids.contains_key(id) || R::existing(c, &R::make_id(id.to_owned())).is_some()
            });
            seen_ids.insert(id.clone(), row.number);
            R::make_id(id)
        } else {
            R::make_id(id_text.clone())
        };
        let record = R::from_row(&mut row, &lookup, existing.as_deref(), id, owner);
        if row.problems.is_empty()
            && let Err(v) = check_record(&record, &c.refs)
        {
            let field = column_field(columns, &v.field);
            let field = if field.is_empty() { "id" } else { field };
            row.problem(field, chinese(&v.message));
        }
        if !row.problems.is_empty() {
            report.errors.append(&mut row.problems);
            continue;
        }
        match existing {
            Some(current) if *current == record => report.unchanged += 1,
            Some(_) => {
                report.updated += 1;
                updated.push(record);
            }
            None => {
                report.created += 1;
                created.push(record);
            }
        }
    }
    Ok(Plan {
        report,
        created,
        updated,
    })
}

impl App {
    /// Imports demands or teams from an XLSX or CSV file: with `dry_run`, or with any problem, nothing is
    /// written and the report lists what would be done; else every row is written in one transaction.
    #[instrument(skip(self, who, bytes), fields(role = who.role.kind(), bytes = bytes.len()))]
    pub async fn import(
        &self,
        who: &Principal,
        kind: ImportKind,
        bytes: Vec<u8>,
        dry_run: bool,
    ) -> Result<ImportReport> {
        match kind {
            ImportKind::Demands => self.import_kind::<Demand>(who, bytes, dry_run).await,
            ImportKind::Teams => self.import_kind::<Team>(who, bytes, dry_run).await,
            ImportKind::Outcomes => self.import_outcomes(who, bytes, dry_run).await,
        }
    }

    async fn import_kind<R: Importable>(
        &self,
        who: &Principal,
        bytes: Vec<u8>,
        dry_run: bool,
    ) -> Result<ImportReport> {
        if !R::role_may_import(&who.role) {
            return Err(who.role.forbidden(format!("import {}s", R::NOUN)).into());
        }
        let caller = who.clone();
        let plan = self
            .blocking(move |app| {
                let table = spreadsheet::read(&bytes).map_err(AppError::Spreadsheet)?;
                let mut plan = plan::<R>(&caller, &app.catalog(), &table)?;
                if dry_run || !plan.report.errors.is_empty() {
                    plan.report.preview = Some(ImportPreview::of(&table));
                }
                Ok(plan)
            })
            .await?;
        if dry_run || !plan.report.errors.is_empty() {
            return Ok(plan.report);
        }
        self.save_records(plan.created, plan.updated).await?;
        Ok(plan.report)
    }

    /// The template of an import: headers, one example row, and sheets explaining each column and
    /// listing the values list columns take (XLSX); headers and the example row (CSV, UTF-8 with BOM).
    /// The example row names the caller's own zone, university or pairing.
    pub async fn import_template(
        &self,
        who: &Principal,
        kind: ImportKind,
        format: TemplateFormat,
    ) -> Result<Vec<u8>> {
        if kind == ImportKind::Outcomes {
            return self.outcome_template(who, format).await;
        }
        let role = who.role.clone();
        self.blocking(move |app| {
            let c = app.catalog();
            let columns = kind.columns();
            let mut example: Vec<String> = columns.iter().map(|c| c.example.to_owned()).collect();
            let owner = match (kind, &role) {
                (ImportKind::Demands, Role::Zone(z)) => c.zone(z).map(|z| z.name.clone()),
                (ImportKind::Demands, _) => c.zones.first().map(|z| z.name.clone()),
                (ImportKind::Teams, Role::University(u)) => c.university(u).map(|u| u.name.clone()),
                (_, _) => c.universities.first().map(|u| u.name.clone()),
            };
            example[1] = owner.unwrap_or_default();
            if let Some(i) = columns.iter().position(|c| c.field == "track_ids")
                && let Some(track) = c.tracks.first()
            {
                example[i] = track.name.clone();
            }
            let tracks = id_name_sheet(c.tracks.iter().map(|t| (t.id.as_str(), t.name.as_str())));
            let owners = match kind {
                ImportKind::Demands => SheetOut {
                    name: "高新区",
                    rows: id_name_sheet(c.zones.iter().map(|z| (z.id.as_str(), z.name.as_str()))),
                    widths: vec![24.0, 30.0],
                },
                _ => SheetOut {
                    name: "高校",
                    rows: id_name_sheet(
                        c.universities
                            .iter()
                            .map(|u| (u.id.as_str(), u.name.as_str())),
                    ),
                    widths: vec![24.0, 30.0],
                },
            };
            let lists = vec![
                SheetOut {
                    name: "产业方向",
                    rows: tracks,
                    widths: vec![24.0, 30.0],
                },
                owners,
            ];
            template(kind, format, example, lists)
        })
        .await
    }
}

/// A sheet of ids and names, with its header row.
pub(super) fn id_name_sheet<'a>(
    items: impl Iterator<Item = (&'a str, &'a str)>,
) -> Vec<Vec<String>> {
    let mut rows = vec![vec!["编号".to_owned(), "名称".to_owned()]];
    rows.extend(items.map(|(id, name)| vec![id.to_owned(), name.to_owned()]));
    rows
}

/// A template's bytes: the header and `example` row; in XLSX, then the 填写说明 sheet explaining each
/// column, then the `lists` sheets of values columns take.
pub(super) fn template(
    kind: ImportKind,
    format: TemplateFormat,
    example: Vec<String>,
    lists: Vec<SheetOut<'_>>,
) -> Result<Vec<u8>> {
    let columns = kind.columns();
    let header: Vec<String> = columns.iter().map(|c| c.header.to_owned()).collect();
    let data = vec![header, example];
    if format == TemplateFormat::Csv {
        return Ok(spreadsheet::write_csv(&data));
    }
    let widths = columns
        .iter()
        .map(|c| if c.help.len() > 30 { 28.0 } else { 16.0 });
    let mut help = vec![vec![
        "列名".to_owned(),
        "是否必填".to_owned(),
        "填写说明".to_owned(),
        "示例".to_owned(),
    ]];
    help.extend(columns.iter().map(|c| {
        vec![
            c.header.to_owned(),
            if c.required { "必填" } else { "选填" }.to_owned(),
            c.help.to_owned(),
            c.example.to_owned(),
        ]
    }));
    help.push(vec![
        "（整体）".to_owned(),
        String::new(),
        "第 1 行为表头，请勿改动；从第 2 行起每行一条；不要使用公式、宏或隐藏的工作表；只读取第一个工作表"
            .to_owned(),
        String::new(),
    ]);
    let mut sheets = vec![
        SheetOut {
            name: kind.sheet(),
            rows: data,
            widths: widths.collect(),
        },
        SheetOut {
            name: "填写说明",
            rows: help,
            widths: vec![16.0, 10.0, 60.0, 30.0],
        },
    ];
    sheets.extend(lists);
    spreadsheet::write_xlsx(&sheets)
        .map_err(|e| AppError::Task(format!("cannot write the template: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_paths_fall_in_their_columns() {
        assert_eq!(column_field(DEMAND_COLUMNS, "track_ids[2]"), "track_ids");
        assert_eq!(
            column_field(DEMAND_COLUMNS, "enterprise.name"),
            "enterprise.name"
        );
        assert_eq!(
            column_field(DEMAND_COLUMNS, "enterprise.size"),
            "enterprise.size"
        );
        assert_eq!(
            column_field(TEAM_COLUMNS, "leader.honors[0]"),
            "leader.honors"
        );
        assert_eq!(column_field(TEAM_COLUMNS, "achievements[0].year"), "");
    }

    #[test]
    fn contract_messages_read_in_chinese() {
        assert_eq!(chinese("must not be empty"), "不能为空");
        assert!(chinese("impossible date \"2027-02-30\"").starts_with("日期不存在"));
        assert!(chinese("something new").starts_with("不符合数据约定"));
    }
}
