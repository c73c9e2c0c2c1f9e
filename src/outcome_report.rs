//! The annual progress report (年度进展) of outcomes as an XLSX workbook: one sheet, Chinese headers, one
//! row per outcome with its pairing, kind, what it says, amount, date, status and who recorded it. Text
//! cells are neutralised like the proposal exports' ([`crate::pairing::neutralise`]), so no cell starts a
//! formula.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};

use crate::outcome::{
    ConversionMode, OutcomeDetail, OutcomeKind, OutcomeStatus, ProjectStage, StudentDegree,
};
use crate::pairing::neutralise;

/// The sheet's name.
pub const SHEET: &str = "年度进展";

/// The sheet's column headers, in order.
pub const HEADERS: [&str; 11] = [
    "序号",
    "高新区",
    "高校",
    "赛道",
    "成果类型",
    "内容",
    "金额（万元）",
    "日期",
    "状态",
    "登记单位",
    "登记时间",
];

const WIDTHS: [f64; 11] = [
    6.0, 18.0, 18.0, 14.0, 12.0, 48.0, 12.0, 12.0, 8.0, 16.0, 20.0,
];

/// One row of the report, names resolved by the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    pub zone: String,
    pub university: String,
    pub track: String,
    pub detail: OutcomeDetail,
    pub status: OutcomeStatus,
    pub recorded_by: String,
    pub recorded_at: String,
}

/// The Chinese name of an outcome kind.
pub fn kind_label(kind: OutcomeKind) -> &'static str {
    match kind {
        OutcomeKind::Project => "标杆项目进展",
        OutcomeKind::Contract => "技术合同",
        OutcomeKind::Payment => "合同到账",
        OutcomeKind::PatentConversion => "专利转化",
        OutcomeKind::Platform => "共建平台",
        OutcomeKind::Talent => "领军人才",
        OutcomeKind::Students => "联合培养研究生",
    }
}

/// The Chinese name of an outcome status.
pub fn status_label(status: OutcomeStatus) -> &'static str {
    match status {
        OutcomeStatus::Pending => "待核实",
        OutcomeStatus::Verified => "已核实",
        OutcomeStatus::Rejected => "已退回",
    }
}

/// The Chinese name of a project stage.
pub fn stage_label(stage: ProjectStage) -> &'static str {
    match stage {
        ProjectStage::Planned => "计划",
        ProjectStage::Contracted => "已签约",
        ProjectStage::InProgress => "实施中",
        ProjectStage::Accepted => "已验收",
        ProjectStage::Terminated => "已终止",
    }
}

/// The Chinese name of a conversion mode.
pub fn mode_label(mode: ConversionMode) -> &'static str {
    match mode {
        ConversionMode::Transfer => "转让",
        ConversionMode::Licence => "许可",
        ConversionMode::Equity => "作价入股",
    }
}

/// The Chinese name of a student degree.
pub fn degree_label(degree: StudentDegree) -> &'static str {
    match degree {
        StudentDegree::Master => "硕士",
        StudentDegree::Doctoral => "博士",
    }
}

/// What an outcome says, in one Chinese line.
pub fn describe(detail: &OutcomeDetail) -> String {
    match detail {
        OutcomeDetail::Project { title, stage, .. } => {
            format!("{title}（{}）", stage_label(*stage))
        }
        OutcomeDetail::Contract {
            enterprise, title, ..
        } => match title {
            Some(t) => format!("{enterprise}：{t}"),
            None => enterprise.clone(),
        },
        OutcomeDetail::Payment { contract_id, .. } => format!("合同 {contract_id} 到账"),
        OutcomeDetail::PatentConversion {
            achievement,
            patent_no,
            mode,
            enterprise,
            ..
        } => {
            let mode = mode_label(*mode);
            let what = patent_no
                .as_ref()
                .or(achievement.as_ref())
                .cloned()
                .unwrap_or_default();
            format!("{what} {mode}给 {enterprise}")
        }
        OutcomeDetail::Platform {
            name,
            platform_kind,
            level,
            ..
        } => format!("{name}（{level}{platform_kind}）"),
        OutcomeDetail::Talent { name, title, .. } => match title {
            Some(t) => format!("{name}（{t}）"),
            None => name.clone(),
        },
        OutcomeDetail::Students {
            year,
            degree,
            count,
            ..
        } => {
            format!("{year} 年{}研究生 {count} 人", degree_label(*degree))
        }
    }
}

/// The report as XLSX bytes.
pub fn report_xlsx(rows: &[ReportRow]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let header = Format::new()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_background_color(0xD9D9D9)
        .set_border(FormatBorder::Thin);
    let body = Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_border(FormatBorder::Thin);
    let amount = body.clone().set_num_format("#,##0.00");
    let ws = wb.add_worksheet();
    ws.set_name(SHEET)?;
    for (c, h) in HEADERS.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &header)?;
    }
    for (i, row) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        let date = row.detail.date().map(|d| d.to_string()).unwrap_or_default();
        let texts = [
            (1, row.zone.clone()),
            (2, row.university.clone()),
            (3, row.track.clone()),
            (4, kind_label(row.detail.kind()).to_owned()),
            (5, describe(&row.detail)),
            (7, date),
            (8, status_label(row.status).to_owned()),
            (9, row.recorded_by.clone()),
            (10, row.recorded_at.clone()),
        ];
        ws.write_number_with_format(r, 0, f64::from(r), &body)?;
        for (c, text) in texts {
            ws.write_string_with_format(r, c, &*neutralise(&text), &body)?;
        }
        match row.detail.amount_wan_yuan() {
            Some(x) => ws.write_number_with_format(r, 6, x, &amount)?,
            None => ws.write_string_with_format(r, 6, "", &body)?,
        };
    }
    for (c, w) in WIDTHS.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    ws.set_freeze_panes(1, 0)?;
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_kind_reads_as_a_chinese_line() {
        let d: OutcomeDetail = serde_json::from_value(json!({"kind": "students", "year": 2026,
            "degree": "doctoral", "count": 12}))
        .unwrap();
        assert_eq!(describe(&d), "2026 年博士研究生 12 人");
        for kind in OutcomeKind::ALL {
            assert!(!kind_label(*kind).is_empty());
        }
        let bytes = report_xlsx(&[ReportRow {
            zone: "=HYPERLINK(\"x\")".into(),
            university: "南京大学".into(),
            track: "储能".into(),
            detail: d,
            status: OutcomeStatus::Verified,
            recorded_by: "苏州高新区".into(),
            recorded_at: "2026-12-01".into(),
        }])
        .unwrap();
        assert!(bytes.starts_with(b"PK"));
    }
}
