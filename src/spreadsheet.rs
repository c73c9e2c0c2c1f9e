//! The only reader of spreadsheets (calamine for XLSX, a small CSV reader over UTF-8 or GB18030) and the
//! writer of import templates: a file becomes a [`Table`] of text cells as the user sees them, row 1 the
//! header; what a workbook may not carry (formulas, macros, hidden sheets) is refused whole.

use std::io::Cursor;

use calamine::{Data, Reader, SheetVisible, Xlsx};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};

/// The first bytes of a ZIP archive (XLSX is one).
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// The first bytes of an OLE compound file (the old binary `.xls`).
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0];
const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];

/// One sheet's cells as text, row by row; `rows[0]` is spreadsheet row 1. Trailing empty cells are kept
/// as the file has them; a missing cell reads as empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The text of the cell at `row` (0-based) and `col`, empty when the row is shorter.
    pub fn cell(&self, row: usize, col: usize) -> &str {
        self.rows
            .get(row)
            .and_then(|r| r.get(col))
            .map_or("", |s| s.as_str())
    }
}

/// Why a file is refused before any row is read. Messages are for the person who made the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpreadsheetError {
    #[error("文件含有宏（vbaProject），出于安全原因不予导入；请另存为不含宏的 .xlsx 或 .csv")]
    Macros,
    #[error("单元格 {sheet}!{cell} 含有公式（{formula}），请把公式替换为数值后再导入")]
    Formula {
        sheet: String,
        cell: String,
        formula: String,
    },
    #[error("工作表“{0}”是隐藏的；隐藏的内容无法核对，请删除或取消隐藏后再导入")]
    HiddenSheet(String),
    #[error("这是旧版 .xls 文件，请另存为 .xlsx 或 .csv 后再导入")]
    OldXls,
    #[error("无法读取 XLSX 文件：{0}")]
    Unreadable(String),
    #[error("文件中没有工作表")]
    NoSheet,
    #[error("CSV 第 {0} 行的引号没有闭合")]
    UnclosedQuote(usize),
    #[error("文件不是 UTF-8 或 GB18030 编码的文本")]
    Encoding,
}

/// Whether `bytes` are an XLSX workbook (a ZIP archive) rather than CSV text.
pub fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(ZIP_MAGIC)
}

/// Reads the first sheet of an XLSX workbook, or CSV text (UTF-8 with or without BOM, else GB18030).
pub fn read(bytes: &[u8]) -> Result<Table, SpreadsheetError> {
    if bytes.starts_with(OLE_MAGIC) {
        return Err(SpreadsheetError::OldXls);
    }
    if is_xlsx(bytes) {
        read_xlsx(bytes)
    } else {
        read_csv(&decode(bytes)?)
    }
}

/// The text of a CSV file: UTF-8 (a BOM is dropped), else GB18030 (which covers GBK and GB2312).
pub fn decode(bytes: &[u8]) -> Result<String, SpreadsheetError> {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_owned());
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(SpreadsheetError::Encoding);
    }
    Ok(text.into_owned())
}

fn read_xlsx(bytes: &[u8]) -> Result<Table, SpreadsheetError> {
    let unreadable = |e: calamine::XlsxError| SpreadsheetError::Unreadable(e.to_string());
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
    if wb.vba_project().map_err(unreadable)?.is_some() {
        return Err(SpreadsheetError::Macros);
    }
    let sheets = wb.sheets_metadata().to_vec();
    if let Some(hidden) = sheets.iter().find(|s| s.visible != SheetVisible::Visible) {
        return Err(SpreadsheetError::HiddenSheet(hidden.name.clone()));
    }
    for sheet in &sheets {
        let formulas = wb.worksheet_formula(&sheet.name).map_err(unreadable)?;
        if let Some(cell) = formulas.used_cells().find(|(_, _, f)| !f.is_empty()) {
            let (row, col, formula) = cell;
            let (top, left) = formulas.start().unwrap_or((0, 0));
            return Err(SpreadsheetError::Formula {
                sheet: sheet.name.clone(),
                cell: cell_name(top as usize + row, left as usize + col),
                formula: formula.clone(),
            });
        }
    }
    let first = sheets.first().ok_or(SpreadsheetError::NoSheet)?;
    let range = wb.worksheet_range(&first.name).map_err(unreadable)?;
    let (top, left) = range.start().unwrap_or((0, 0));
    let mut rows = vec![Vec::new(); top as usize];
    for row in range.rows() {
        let mut cells = vec![String::new(); left as usize];
        cells.extend(row.iter().map(cell_text));
        rows.push(cells);
    }
    Ok(Table { rows })
}

/// A cell as the user reads it: whole numbers without a decimal point, dates as `YYYY-MM-DD`.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => if *b { "是" } else { "否" }.to_owned(),
        Data::DateTime(d) if d.is_datetime() => excel_date(d.as_f64()),
        Data::DateTime(d) => number_text(d.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.chars().take(10).collect(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// A number as a cell shows it: whole numbers without a decimal point.
pub fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

/// The calendar date of an Excel serial day number (1900 system: day 60 is the fictitious 1900-02-29,
/// so days from 61 on count from 1899-12-30).
fn excel_date(serial: f64) -> String {
    let days = serial.floor() as i64 - 25569; // days from 1970-01-01
    let (y, m, d) = crate::dataset::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The A1-style name of a cell (0-based row and column).
pub fn cell_name(row: usize, col: usize) -> String {
    format!("{}{}", column_letters(col), row + 1)
}

/// The letters of a 0-based column (0 → A, 26 → AA).
pub fn column_letters(col: usize) -> String {
    let mut n = col + 1;
    let mut out = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        out.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Splits CSV text (RFC 4180: comma separated, `"` quotes, `""` inside quotes) into rows.
fn read_csv(text: &str) -> Result<Table, SpreadsheetError> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut quote_line = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    cell.push(c);
                }
                _ => cell.push(c),
            }
            continue;
        }
        match c {
            '"' if cell.is_empty() => {
                quoted = true;
                quote_line = line;
            }
            ',' => row.push(std::mem::take(&mut cell)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                line += 1;
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            _ => cell.push(c),
        }
    }
    if quoted {
        return Err(SpreadsheetError::UnclosedQuote(quote_line));
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    Ok(Table { rows })
}

/// CSV text of `rows` as UTF-8 with a BOM (so that Excel opens it as UTF-8).
pub fn write_csv(rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = String::from('\u{feff}');
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .map(|c| {
                if c.contains([',', '"', '\n', '\r']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c.clone()
                }
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// One sheet of a workbook to write: its name, its rows (the first is the header, in bold) and the
/// width of each column in characters.
#[derive(Debug, Clone)]
pub struct SheetOut<'a> {
    pub name: &'a str,
    pub rows: Vec<Vec<String>>,
    pub widths: Vec<f64>,
}

/// An XLSX workbook of text cells, every cell written as text (never as a formula).
pub fn write_xlsx(sheets: &[SheetOut<'_>]) -> Result<Vec<u8>, XlsxError> {
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color(0xD9D9D9)
        .set_border(FormatBorder::Thin);
    let body = Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_num_format("@");
    let mut wb = Workbook::new();
    for sheet in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(sheet.name)?;
        for (r, row) in sheet.rows.iter().enumerate() {
            let format = if r == 0 { &header } else { &body };
            for (c, text) in row.iter().enumerate() {
                ws.write_string_with_format(r as u32, c as u16, text, format)?;
            }
        }
        for (c, w) in sheet.widths.iter().enumerate() {
            ws.set_column_width(c as u16, *w)?;
        }
        ws.set_freeze_panes(1, 0)?;
    }
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(t: &Table) -> Vec<Vec<&str>> {
        t.rows
            .iter()
            .map(|r| r.iter().map(|s| s.as_str()).collect())
            .collect()
    }

    #[test]
    fn csv_reads_quotes_newlines_and_crlf() {
        let t = read_csv("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\r\n\"two\nlines\",\n").unwrap();
        assert_eq!(
            rows(&t),
            vec![
                vec!["a", "b"],
                vec!["x, y", "say \"hi\""],
                vec!["two\nlines", ""]
            ]
        );
        assert_eq!(
            read_csv("a\n\"open,b\n").unwrap_err(),
            SpreadsheetError::UnclosedQuote(2)
        );
    }

    #[test]
    fn csv_text_is_utf8_with_or_without_bom_else_gb18030() {
        let text = "需求名称,预算（万元）\n碳化硅衬底,50\n";
        let (gb, _, _) = encoding_rs::GB18030.encode(text);
        let mut bom = UTF8_BOM.to_vec();
        bom.extend_from_slice(text.as_bytes());
        for bytes in [text.as_bytes(), &bom, &gb] {
            assert_eq!(read(bytes).unwrap().cell(1, 0), "碳化硅衬底");
        }
        assert_eq!(
            decode(&[0x81, 0x20]).unwrap_err(),
            SpreadsheetError::Encoding
        );
    }

    #[test]
    fn written_csv_and_xlsx_read_back() {
        let data = vec![
            vec!["编号".to_owned(), "名称".to_owned()],
            vec!["d-1".to_owned(), "含,逗号与\"引号\"".to_owned()],
        ];
        assert_eq!(read(&write_csv(&data)).unwrap().rows, data);
        let sheets = [SheetOut {
            name: "需求",
            rows: data.clone(),
            widths: vec![10.0, 20.0],
        }];
        let xlsx = write_xlsx(&sheets).unwrap();
        assert!(is_xlsx(&xlsx));
        assert_eq!(read(&xlsx).unwrap().rows, data);
    }

    #[test]
    fn formulas_and_hidden_sheets_are_refused() {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "预算").unwrap();
        ws.write_formula(1, 0, "=1+1").unwrap();
        let err = read(&wb.save_to_buffer().unwrap()).unwrap_err();
        assert!(
            matches!(&err, SpreadsheetError::Formula { cell, .. } if cell == "A2"),
            "{err:?}"
        );

        let mut wb = Workbook::new();
        wb.add_worksheet().write_string(0, 0, "a").unwrap();
        let hidden = wb.add_worksheet();
        hidden.set_name("藏").unwrap().set_hidden(true);
        let err = read(&wb.save_to_buffer().unwrap()).unwrap_err();
        assert_eq!(err, SpreadsheetError::HiddenSheet("藏".into()));
        assert_eq!(
            read(&[0xD0, 0xCF, 0x11, 0xE0, 0]).unwrap_err(),
            SpreadsheetError::OldXls
        );
    }

    #[test]
    fn dates_and_columns_read_as_people_write_them() {
        assert_eq!(excel_date(45_292.0), "2024-01-01");
        assert_eq!(excel_date(25_569.0), "1970-01-01");
        assert_eq!(number_text(50.0), "50");
        assert_eq!(number_text(12.5), "12.5");
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(column_letters(27), "AB");
    }
}
