//! Export of a batch for official documents: CSV (UTF-8 with a byte-order mark, so spreadsheet programs
//! read the Chinese correctly) and XLSX, one row per pairing under Chinese headers.
//!
//! Text cells come partly from what zones and universities typed (names, platforms, funds), so every
//! text cell that a spreadsheet could take for a formula is neutralised first ([`neutralise`]).

use rust_xlsxwriter::{Format, Workbook};

use super::PairingError;
use super::batch::{Batch, ProposalStatus, ProposedPairing};

/// Column headers of the export, in order.
pub const HEADERS: [&str; 10] = [
    "园区",
    "高校",
    "赛道",
    "领军人才",
    "平台",
    "基金",
    "标杆项目数",
    "得分",
    "状态",
    "说明",
];

/// One exported row: text cells plus the two numeric ones.
struct Row {
    zone: String,
    university: String,
    track: String,
    talent: String,
    platform: String,
    fund: String,
    projects: u32,
    score: f64,
    status: String,
    note: String,
}

fn status_label(p: &ProposedPairing) -> String {
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

fn row(p: &ProposedPairing, status: String) -> Row {
    let b = &p.bundle;
    let talent = b.leading_talent.as_ref().map_or(String::new(), |l| {
        let mut s = l.name.clone();
        let mut extra: Vec<&str> = Vec::new();
        if !l.title.is_empty() {
            extra.push(&l.title);
        }
        extra.extend(l.honors.iter().map(String::as_str));
        if !extra.is_empty() {
            s.push_str(&format!("（{}）", extra.join("；")));
        }
        s
    });
    let mut platform = Vec::new();
    if let Some(u) = &b.innovation_platform.university {
        platform.push(u.name.clone());
    }
    if let Some(z) = &b.innovation_platform.zone {
        platform.push(format!("共建：{}", z.name));
    }
    let fund = b.transformation_fund.as_ref().map_or(String::new(), |f| {
        format!("{}（{}万元）", f.name, f.size_wan_yuan)
    });
    let mut note = p.explanation.summary.clone();
    if let Some(r) = &p.explanation.runner_up {
        note.push_str(&format!(
            " 次选：{}（{:.3}）。",
            r.university_name, r.quality
        ));
    }
    Row {
        zone: p.zone_name.clone(),
        university: p.university_name.clone(),
        track: p.track_name.clone(),
        talent,
        platform: platform.join("；"),
        fund,
        projects: b.benchmark_projects.len() as u32,
        score: p.quality,
        status,
        note,
    }
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

fn csv_field(s: &str) -> String {
    let s = &*neutralise(s);
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The batch as CSV bytes (UTF-8 with BOM, CRLF line ends as RFC 4180 asks).
pub fn export_csv(batch: &Batch) -> Vec<u8> {
    export_csv_with(batch, &status_label)
}

/// [`export_csv`] with the 状态 column written by `status` (e.g. from the review workflow).
pub fn export_csv_with(batch: &Batch, status: &dyn Fn(&ProposedPairing) -> String) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    out.push_str(&HEADERS.join(","));
    out.push_str("\r\n");
    for p in &batch.pairings {
        let r = row(p, status(p));
        let cells = [
            csv_field(&r.zone),
            csv_field(&r.university),
            csv_field(&r.track),
            csv_field(&r.talent),
            csv_field(&r.platform),
            csv_field(&r.fund),
            r.projects.to_string(),
            format!("{:.3}", r.score),
            csv_field(&r.status),
            csv_field(&r.note),
        ];
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// The batch as XLSX bytes: sheet "双高协同配对" with the pairings, sheet "诊断" with the diagnostics.
pub fn export_xlsx(batch: &Batch) -> Result<Vec<u8>, PairingError> {
    export_xlsx_with(batch, &status_label)
}

/// [`export_xlsx`] with the 状态 column written by `status` (e.g. from the review workflow).
pub fn export_xlsx_with(
    batch: &Batch,
    status: &dyn Fn(&ProposedPairing) -> String,
) -> Result<Vec<u8>, PairingError> {
    let err = |e: rust_xlsxwriter::XlsxError| PairingError::Export(e.to_string().to_lowercase());
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let score = Format::new().set_num_format("0.000");
    let ws = wb.add_worksheet();
    ws.set_name("双高协同配对").map_err(err)?;
    for (c, h) in HEADERS.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(err)?;
    }
    for (i, p) in batch.pairings.iter().enumerate() {
        let r = row(p, status(p));
        let n = (i + 1) as u32;
        let text = [
            (0, &r.zone),
            (1, &r.university),
            (2, &r.track),
            (3, &r.talent),
            (4, &r.platform),
            (5, &r.fund),
            (8, &r.status),
            (9, &r.note),
        ];
        for (c, cell) in text {
            ws.write_string(n, c, &*neutralise(cell)).map_err(err)?;
        }
        ws.write_number(n, 6, f64::from(r.projects)).map_err(err)?;
        ws.write_number_with_format(n, 7, r.score, &score)
            .map_err(err)?;
    }
    for (c, w) in [16.0, 16.0, 12.0, 28.0, 36.0, 28.0, 10.0, 8.0, 10.0, 60.0]
        .into_iter()
        .enumerate()
    {
        ws.set_column_width(c as u16, w).map_err(err)?;
    }
    let ws = wb.add_worksheet();
    ws.set_name("诊断").map_err(err)?;
    for (c, h) in ["类别", "代码", "说明"].iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(err)?;
    }
    for (i, d) in batch.diagnostics.iter().enumerate() {
        let n = (i + 1) as u32;
        let sev = serde_json::to_value(d.severity)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let code = serde_json::to_value(d.code)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        ws.write_string(n, 0, &sev).map_err(err)?;
        ws.write_string(n, 1, &code).map_err(err)?;
        ws.write_string(n, 2, &*neutralise(&d.message))
            .map_err(err)?;
    }
    ws.set_column_width(2, 100.0).map_err(err)?;
    wb.save_to_buffer().map_err(err)
}
