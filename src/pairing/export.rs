//! Export of a batch for official documents.
//!
//! The XLSX workbook has three sheets, each with a frozen bold header row, wrapped text and an A4
//! landscape print set-up one page wide with the header repeated on every page:
//! - **汇总** ([`SUMMARY_HEADERS`]): one row per pairing with its grade, the five components of its bundle
//!   (a component with nothing fitting yet reads 待共建), its project count, score, review status, latest
//!   review note and the batch date;
//! - **标杆项目** ([`PROJECT_HEADERS`]): one row per benchmark project of every pairing, under the
//!   pairing's 序号;
//! - **诊断** ([`DIAGNOSTIC_HEADERS`]): the batch's diagnostics with the zones, universities and tracks
//!   they name.
//!
//! The CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese correctly; CRLF line
//! ends) carries exactly the 汇总 sheet.
//!
//! Text cells come partly from what zones and universities typed (names, platforms, funds), so every
//! text cell is neutralised first ([`neutralise`]). What the review workflow knows (status, review
//! notes) and the batch date come from the caller through an [`ExportContext`]; this module does no I/O.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};

use super::PairingError;
use super::batch::{Batch, ProposalStatus, ProposedPairing};
use super::diagnose::Severity;
use crate::domain::{TrackId, UniversityId, ZoneId};

/// Name of the sheet with one row per pairing (the CSV holds the same table).
pub const SUMMARY_SHEET: &str = "汇总";
/// Name of the sheet with one row per benchmark project.
pub const PROJECTS_SHEET: &str = "标杆项目";
/// Name of the sheet with the diagnostics.
pub const DIAGNOSTICS_SHEET: &str = "诊断";

/// Column headers of the 汇总 sheet and of the CSV, in order.
pub const SUMMARY_HEADERS: [&str; 15] = [
    "序号",
    "园区",
    "高校",
    "赛道",
    "等级",
    "产业方向",
    "创新平台",
    "领军人才",
    "成果转化基金",
    "标杆项目",
    "项目数",
    "得分",
    "状态",
    "审核意见",
    "批次日期",
];

/// Column headers of the 标杆项目 sheet, in order.
pub const PROJECT_HEADERS: [&str; 9] = [
    "序号",
    "园区",
    "高校",
    "赛道",
    "企业",
    "需求",
    "承接团队",
    "团队带头人",
    "匹配度",
];

/// Column headers of the 诊断 sheet, in order.
pub const DIAGNOSTIC_HEADERS: [&str; 6] =
    ["类别", "代码", "说明", "涉及园区", "涉及高校", "涉及赛道"];

/// What a component with nothing fitting yet reads in the export.
pub const TO_BUILD: &str = "待共建";

/// How many demand titles the 标杆项目 cell of 汇总 names before "等" (the full list is its own sheet).
const TITLES_IN_SUMMARY: usize = 3;

/// Names of zones, universities and tracks that diagnostics may mention beyond the batch's pairings
/// (the batch's pairings name their own); an id with no name is shown as the id.
#[derive(Debug, Clone, Default)]
pub struct ExportNames {
    pub zones: HashMap<ZoneId, String>,
    pub universities: HashMap<UniversityId, String>,
    pub tracks: HashMap<TrackId, String>,
}

/// What the caller knows beyond the batch: the review status and latest review note of each pairing,
/// the batch date and names for diagnostics. [`ExportContext::default`] suits a batch outside the review
/// workflow (the CLI): the batch's own status, no notes, today's date in China.
pub struct ExportContext<'a> {
    /// The 状态 column.
    pub status: &'a dyn Fn(&ProposedPairing) -> String,
    /// The 审核意见 column: the latest review comment or decision note, empty when none.
    pub review_note: &'a dyn Fn(&ProposedPairing) -> String,
    /// The 批次日期 column (`YYYY-MM-DD`, or empty).
    pub batch_date: String,
    pub names: ExportNames,
}

impl Default for ExportContext<'_> {
    fn default() -> Self {
        ExportContext {
            status: &status_label,
            review_note: &no_note,
            batch_date: today_in_china(),
            names: ExportNames::default(),
        }
    }
}

/// The batch's own status of a pairing (拟推荐 / 已批准), for a batch outside the review workflow.
pub fn status_label(p: &ProposedPairing) -> String {
    let s = match p.status {
        ProposalStatus::Proposed => "拟推荐",
        ProposalStatus::Approved => "已批准",
    };
    if p.forced && p.status == ProposalStatus::Proposed {
        format!("{s}（部门指定）")
    } else {
        s.to_owned()
    }
}

fn no_note(_: &ProposedPairing) -> String {
    String::new()
}

/// A text cell as a spreadsheet shows it but never evaluates it: a cell beginning with `=`, `+`, `-`,
/// `@`, a tab or a carriage return gets a leading apostrophe (OWASP's rule against CSV injection).
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// The Chinese name of a diagnostic's severity.
pub fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Infeasible => "不可行",
        Severity::Shortfall => "项目不足",
        Severity::Info => "提示",
    }
}

// ---------- dates ----------

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `YYYY-MM-DD` of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> String {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// China Standard Time is UTC+8 all year.
const CHINA_OFFSET_HOURS: i64 = 8;

/// The date in China (UTC+8) of a UTC timestamp as the store writes it (`YYYY-MM-DDTHH:MM:SS…Z`), so a
/// batch made at 01:00 Beijing time carries that day's date; text that is not such a timestamp gives its
/// first ten characters when they look like a date, else nothing.
pub fn china_date(utc: &str) -> String {
    let num = |r: std::ops::Range<usize>| utc.get(r).and_then(|s| s.parse::<i64>().ok());
    let looks_like_date = utc.len() >= 10
        && utc.as_bytes()[4] == b'-'
        && utc.as_bytes()[7] == b'-'
        && utc.is_char_boundary(10);
    if !looks_like_date {
        return String::new();
    }
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return String::new();
    };
    let hour = (utc.ends_with('Z') && utc.as_bytes().get(10) == Some(&b'T'))
        .then(|| num(11..13))
        .flatten();
    match hour {
        Some(h) if (1..=12).contains(&m) && (1..=31).contains(&d) && (0..24).contains(&h) => {
            civil_from_days(days_from_civil(y, m, d) + (h + CHINA_OFFSET_HOURS) / 24)
        }
        _ => utc[..10].to_owned(),
    }
}

/// Today's date in China (UTC+8), `YYYY-MM-DD`; empty if the clock is before 1970.
pub fn today_in_china() -> String {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| {
            let secs = d.as_secs() as i64 + CHINA_OFFSET_HOURS * 3600;
            civil_from_days(secs.div_euclid(86_400))
        })
        .unwrap_or_default()
}

// ---------- the tables ----------

/// One cell of a table.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Text(String),
    Count(u32),
    Score(f64),
}

/// One sheet's content: name, headers, rows and column widths.
struct Table {
    name: &'static str,
    headers: &'static [&'static str],
    widths: &'static [f64],
    rows: Vec<Vec<Cell>>,
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn or_to_build(s: Option<String>) -> String {
    s.unwrap_or_else(|| TO_BUILD.to_owned())
}

fn summary_row(i: usize, p: &ProposedPairing, ctx: &ExportContext<'_>) -> Vec<Cell> {
    let b = &p.bundle;
    let dir = &b.industrial_direction;
    let direction = if dir.zone_industries.is_empty() {
        dir.track_name.clone()
    } else {
        format!("{}（{}）", dir.track_name, dir.zone_industries.join("、"))
    };
    let ip = &b.innovation_platform;
    let platform = match (&ip.university, &ip.zone) {
        (Some(u), Some(z)) => format!("{}；共建：{}", u.name, z.name),
        (Some(u), None) => format!("{}；共建：{TO_BUILD}", u.name),
        (None, Some(z)) => format!("高校平台{TO_BUILD}；共建：{}", z.name),
        (None, None) => TO_BUILD.to_owned(),
    };
    let talent = b.leading_talent.as_ref().map(|l| {
        let mut extra: Vec<&str> = Vec::new();
        if !l.title.is_empty() {
            extra.push(&l.title);
        }
        extra.extend(l.honors.iter().map(String::as_str));
        if extra.is_empty() {
            l.name.clone()
        } else {
            format!("{}（{}）", l.name, extra.join("；"))
        }
    });
    let fund = b
        .transformation_fund
        .as_ref()
        .map(|f| format!("{}（{}万元）", f.name, f.size_wan_yuan));
    let n = b.benchmark_projects.len();
    let projects = if n == 0 {
        "0项".to_owned()
    } else {
        let titles: Vec<&str> = b
            .benchmark_projects
            .iter()
            .take(TITLES_IN_SUMMARY)
            .map(|bp| bp.title.as_str())
            .collect();
        let more = if n > TITLES_IN_SUMMARY { "等" } else { "" };
        format!("{n}项：{}{more}", titles.join("；"))
    };
    vec![
        Cell::Count(i as u32 + 1),
        text(&p.zone_name),
        text(&p.university_name),
        text(&p.track_name),
        text(b.grade.label()),
        text(direction),
        text(platform),
        text(or_to_build(talent)),
        text(or_to_build(fund)),
        text(projects),
        Cell::Count(n as u32),
        Cell::Score(p.quality),
        text((ctx.status)(p)),
        text((ctx.review_note)(p)),
        text(&ctx.batch_date),
    ]
}

fn summary(batch: &Batch, ctx: &ExportContext<'_>) -> Table {
    Table {
        name: SUMMARY_SHEET,
        headers: &SUMMARY_HEADERS,
        widths: &[
            5.0, 14.0, 14.0, 10.0, 6.0, 22.0, 28.0, 24.0, 22.0, 32.0, 7.0, 7.0, 12.0, 26.0, 11.0,
        ],
        rows: batch
            .pairings
            .iter()
            .enumerate()
            .map(|(i, p)| summary_row(i, p, ctx))
            .collect(),
    }
}

fn projects(batch: &Batch) -> Table {
    let mut rows = Vec::new();
    for (i, p) in batch.pairings.iter().enumerate() {
        for bp in &p.bundle.benchmark_projects {
            rows.push(vec![
                Cell::Count(i as u32 + 1),
                text(&p.zone_name),
                text(&p.university_name),
                text(&p.track_name),
                text(bp.enterprise.clone().unwrap_or_default()),
                text(&bp.title),
                text(&bp.team_name),
                text(bp.leader.clone().unwrap_or_default()),
                Cell::Score(bp.score),
            ]);
        }
    }
    Table {
        name: PROJECTS_SHEET,
        headers: &PROJECT_HEADERS,
        widths: &[5.0, 14.0, 14.0, 10.0, 22.0, 36.0, 22.0, 10.0, 8.0],
        rows,
    }
}

fn diagnostics(batch: &Batch, ctx: &ExportContext<'_>) -> Table {
    let mut zones: HashMap<&str, &str> = HashMap::new();
    let mut universities: HashMap<&str, &str> = HashMap::new();
    let mut tracks: HashMap<&str, &str> = HashMap::new();
    for p in &batch.pairings {
        zones.insert(p.zone_id.as_str(), &p.zone_name);
        universities.insert(p.university_id.as_str(), &p.university_name);
        tracks.insert(p.track_id.as_str(), &p.track_name);
        if let Some(r) = &p.explanation.runner_up {
            universities.insert(r.university_id.as_str(), &r.university_name);
        }
    }
    let n = &ctx.names;
    zones.extend(n.zones.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    universities.extend(n.universities.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    tracks.extend(n.tracks.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let names = |ids: Vec<&str>, map: &HashMap<&str, &str>| -> String {
        ids.into_iter()
            .map(|id| map.get(id).copied().unwrap_or(id))
            .collect::<Vec<_>>()
            .join("、")
    };
    let rows = batch
        .diagnostics
        .iter()
        .map(|d| {
            let code = serde_json::to_value(d.code)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            vec![
                text(severity_label(d.severity)),
                text(code),
                text(&d.message),
                text(names(
                    d.zone_ids.iter().map(|z| z.as_str()).collect(),
                    &zones,
                )),
                text(names(
                    d.university_ids.iter().map(|u| u.as_str()).collect(),
                    &universities,
                )),
                text(names(
                    d.track_ids.iter().map(|t| t.as_str()).collect(),
                    &tracks,
                )),
            ]
        })
        .collect();
    Table {
        name: DIAGNOSTICS_SHEET,
        headers: &DIAGNOSTIC_HEADERS,
        widths: &[9.0, 24.0, 70.0, 24.0, 24.0, 16.0],
        rows,
    }
}

// ---------- CSV ----------

fn csv_field(s: &str) -> String {
    let s = &*neutralise(s);
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The 汇总 table as CSV bytes (UTF-8 with BOM, CRLF line ends as RFC 4180 asks), with
/// [`ExportContext::default`].
pub fn export_csv(batch: &Batch) -> Vec<u8> {
    export_csv_with(batch, &ExportContext::default())
}

/// [`export_csv`] with what the caller knows (review status and notes, batch date).
pub fn export_csv_with(batch: &Batch, ctx: &ExportContext<'_>) -> Vec<u8> {
    let table = summary(batch, ctx);
    let mut out = String::from("\u{feff}");
    out.push_str(&table.headers.join(","));
    out.push_str("\r\n");
    for row in &table.rows {
        let cells: Vec<String> = row
            .iter()
            .map(|c| match c {
                Cell::Text(s) => csv_field(s),
                Cell::Count(n) => n.to_string(),
                Cell::Score(x) => format!("{x:.3}"),
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

// ---------- XLSX ----------

/// A4 in the paper-size codes of the XLSX format.
const PAPER_A4: u8 = 9;

/// The batch as XLSX bytes with the sheets 汇总, 标杆项目 and 诊断, with [`ExportContext::default`].
pub fn export_xlsx(batch: &Batch) -> Result<Vec<u8>, PairingError> {
    export_xlsx_with(batch, &ExportContext::default())
}

/// [`export_xlsx`] with what the caller knows (review status and notes, batch date, names).
pub fn export_xlsx_with(batch: &Batch, ctx: &ExportContext<'_>) -> Result<Vec<u8>, PairingError> {
    let err = |e: XlsxError| PairingError::Export(e.to_string().to_lowercase());
    let mut wb = Workbook::new();
    for table in [
        summary(batch, ctx),
        projects(batch),
        diagnostics(batch, ctx),
    ] {
        write_table(&mut wb, &table).map_err(err)?;
    }
    wb.save_to_buffer().map_err(err)
}

fn write_table(wb: &mut Workbook, table: &Table) -> Result<(), XlsxError> {
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color(0xD9D9D9)
        .set_border(FormatBorder::Thin);
    let body = Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_border(FormatBorder::Thin);
    let count = body.clone().set_align(FormatAlign::Center);
    let score = body.clone().set_num_format("0.000");

    let ws = wb.add_worksheet();
    ws.set_name(table.name)?;
    for (c, h) in table.headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &header)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(s) => ws.write_string_with_format(r, c, &*neutralise(s), &body)?,
                Cell::Count(n) => ws.write_number_with_format(r, c, f64::from(*n), &count)?,
                Cell::Score(x) => ws.write_number_with_format(r, c, *x, &score)?,
            };
        }
    }
    for (c, w) in table.widths.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    ws.set_freeze_panes(1, 0)?;
    ws.set_repeat_rows(0, 0)?;
    ws.set_paper_size(PAPER_A4)
        .set_landscape()
        .set_print_fit_to_pages(1, 0)
        .set_footer("&C第 &P 页，共 &N 页");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_date_moves_late_utc_times_to_the_next_day_and_drops_what_is_no_date() {
        let cases = [
            ("2026-12-06T15:59:59.999Z", "2026-12-06"),
            ("2026-12-06T16:00:00.000Z", "2026-12-07"),
            ("2026-12-31T20:00:00Z", "2027-01-01"),
            ("2024-02-28T17:00:00Z", "2024-02-29"),
            ("2023-02-28T17:00:00Z", "2023-03-01"),
            ("2026-12-06", "2026-12-06"),
            ("2026-12-06 23:00:00", "2026-12-06"),
            ("", ""),
            ("yesterday!", ""),
            ("二〇二六年十二月", ""),
        ];
        for (time, date) in cases {
            assert_eq!(china_date(time), date, "{time}");
        }
    }

    #[test]
    fn civil_dates_round_trip() {
        for days in [-1, 0, 59, 365, 10_957, 20_000, 20_793, 60_000] {
            let s = civil_from_days(days);
            let (y, m, d) = (
                s[0..4].parse().unwrap(),
                s[5..7].parse().unwrap(),
                s[8..10].parse().unwrap(),
            );
            assert_eq!(days_from_civil(y, m, d), days, "{s}");
        }
        assert_eq!(civil_from_days(0), "1970-01-01");
        assert_eq!(today_in_china().len(), 10);
    }

    #[test]
    fn every_severity_has_a_chinese_label() {
        assert_eq!(severity_label(Severity::Infeasible), "不可行");
        assert_eq!(severity_label(Severity::Shortfall), "项目不足");
        assert_eq!(severity_label(Severity::Info), "提示");
    }
}
