//! Composes one synthetic enterprise demand from a topic, in the enterprise's voice: a title (sometimes
//! reworded), a description of the company, its pains, goals, indicators, scenarios and budget, a fictional
//! company, keywords, tracks, budget, deadline and, rarely, excluded universities.

use crate::domain::{Demand, DemandId, Enterprise, TrackId, UniversityId, Zone, ZoneId};

use super::material::Topic;
use super::pools;
use super::text::{
    Rng, between, chance, clause, enumerate, index, numbered, pick, sample, sample_between,
    sample_indices, shuffle, weighted,
};
use crate::dataset::days_in_month;

/// What a demand is composed from.
pub struct DemandInput<'a> {
    pub id: String,
    pub topic: &'a Topic,
    pub zone: &'a Zone,
    /// The zone track the demand was planned for, when it differs from the topic's own track.
    pub zone_track: Option<&'a str>,
    /// Universities a company might exclude (for example its current partner), usually empty.
    pub excludable: &'a [&'a str],
}

/// Title endings that already say what kind of request it is.
const REQUEST_ENDINGS: &[&str] = &[
    "攻关", "合作", "开发", "研发", "支持", "导入", "方案", "需求", "储备", "评估", "服务", "验证",
    "升级",
];

fn title(rng: &mut Rng, topic: &Topic, base: &str) -> String {
    let scenario = clause(pick(rng, &topic.demand.scenarios));
    let request = REQUEST_ENDINGS.iter().any(|e| base.ends_with(e));
    match between(rng, 0, 19) {
        9 | 10 if !request => format!("{base}技术攻关"),
        11 if !request => format!("寻求{base}解决方案"),
        12 => format!("{base}产学研合作需求"),
        13 if !request => format!("{base}关键技术合作开发"),
        14 | 15 if !base.starts_with("面向") && scenario.chars().count() <= 12 => {
            format!("面向{scenario}的{base}")
        }
        16 => format!("关于{base}的技术需求"),
        17 if !request => format!("{base}联合研发"),
        _ => base.to_owned(),
    }
}

fn company_name(rng: &mut Rng, zone: &Zone, track_id: &str, size: &str) -> String {
    let mut brand = String::from("恒源");
    for _ in 0..16 {
        let candidate = format!(
            "{}{}",
            pick(rng, pools::BRAND_FIRST),
            pick(rng, pools::BRAND_SECOND)
        );
        let repeated = candidate.chars().next() == candidate.chars().nth(1);
        if !repeated && !pools::BRAND_TAKEN.contains(&candidate.as_str()) {
            brand = candidate;
            break;
        }
    }
    let place = match between(rng, 0, 9) {
        0..=5 => zone.city.as_str(),
        6 => "江苏",
        _ => "",
    };
    let industry = pick(rng, pools::industry_words(track_id));
    let mut form = weighted(rng, pools::COMPANY_FORMS, "有限公司");
    // Groups and joint-stock companies are not small; `传感技术科技技术` would repeat the business.
    let small = size == "微型" || size == "小型";
    let repeats = (industry.ends_with("科技") || industry.ends_with("技术"))
        && (form.contains("科技") || form.contains("技术"));
    if repeats || (small && (form.starts_with("集团") || form.starts_with("股份"))) {
        form = "有限公司";
    }
    format!("{place}{brand}{industry}{form}")
}

pub fn compose(input: &DemandInput<'_>, rng: &mut Rng) -> Demand {
    let topic = input.topic;
    let m = &topic.demand;
    let title_index = index(rng, m.titles.len());
    let base_title = m.titles.get(title_index).map_or("", |t| clause(t));
    let title = title(rng, topic, base_title);
    let link = topic.demand_links.get(title_index);
    let kind = clause(pick(rng, &m.enterprise_kinds));
    let size = if ["大型", "集团", "龙头", "主机厂", "央企", "国企"]
        .iter()
        .any(|w| kind.contains(w))
    {
        "大型"
    } else {
        weighted(
            rng,
            &[("微型", 18), ("小型", 40), ("中型", 30), ("大型", 12)],
            "小型",
        )
    };
    let company = company_name(rng, input.zone, &topic.track_id, size);
    let budget = budget(rng, size);
    let mut out = String::with_capacity(500);

    let scenarios = sample(rng, &m.scenarios, 2);
    let s1 = scenarios.first().copied().unwrap_or("");
    let s2 = scenarios.get(1).copied().unwrap_or(s1);
    out.push_str(&match between(rng, 0, 3) {
        0 => format!("我公司位于{}，是一家{kind}。", input.zone.name),
        1 => {
            let staff = staff(rng, size);
            format!(
                "公司成立于{}年，是一家{kind}，现有员工{staff}人，其中研发人员{}人。",
                between(rng, 2003, 2022),
                (staff / between(rng, 4, 8)).max(3)
            )
        }
        2 => format!(
            "公司是{}，主要为{}提供产品和服务。",
            pick(rng, pools::qualifications(size)),
            s1
        ),
        _ => format!("我们是一家{kind}，产品主要用于{}。", enumerate(&scenarios)),
    });

    let pain_count = between(rng, 1, 2);
    let pains = related(rng, &m.pains, link.map(|l| l.pains.as_slice()), pain_count);
    out.push_str(&match (between(rng, 0, 3), pains.as_slice()) {
        (0, [a, b]) => format!("当前遇到的主要问题：一是{}；二是{}。", clause(a), clause(b)),
        (1, [a, ..]) => format!("生产和应用中发现，{}。", clause(a)),
        (2, [a, ..]) => format!("{}，这是制约我们产品升级的主要瓶颈。", clause(a)),
        (_, ps) => format!(
            "目前{}。",
            ps.iter().map(|p| clause(p)).collect::<Vec<_>>().join("；")
        ),
    });

    let mut tail: Vec<String> = Vec::new();
    if chance(rng, 0.85) {
        let goals = related(rng, &m.goals, link.map(|l| l.goals.as_slice()), 1);
        let goal = clause(goals.first().copied().unwrap_or_default());
        tail.push(if goal.starts_with("希望") {
            format!("{goal}。")
        } else {
            match between(rng, 0, 2) {
                0 => format!("希望与高校团队合作，实现以下目标：{goal}。"),
                1 => format!("合作目标：{goal}。"),
                _ => format!("期望达到的效果是：{goal}。"),
            }
        });
    }
    if chance(rng, 0.75) {
        let count = between(rng, 2, 3);
        let indicators: Vec<&str> = related(
            rng,
            &m.indicators,
            link.map(|l| l.indicators.as_slice()),
            count,
        )
        .into_iter()
        .map(clause)
        .collect();
        tail.push(match between(rng, 0, 2) {
            0 => format!("主要技术指标：{}。", indicators.join("；")),
            1 => format!("验收要求：{}。", indicators.join("，")),
            _ => format!("具体指标要求如下：{}。", numbered(&indicators)),
        });
    }
    if chance(rng, 0.5) {
        tail.push(match between(rng, 0, 2) {
            0 => format!("成果将首先用于{s1}，后续拟推广到{s2}。"),
            1 => format!("应用场景为{}等。", scenarios.join("、")),
            _ => format!("主要面向{s1}场景。"),
        });
    }
    let mut sentences = tail;
    if sentences.len() > 1 {
        // Goals usually come before indicators; scenarios float.
        let last = sentences.len() - 1;
        if chance(rng, 0.3) {
            sentences.swap(0, last);
        }
    }
    for sentence in sentences {
        out.push_str(&sentence);
    }
    if let Some(b) = budget
        && chance(rng, 0.7)
    {
        let b = format_wan(b);
        let mut options = [
            format!(
                "企业可投入研发经费{b}万元，合作方式为{}。",
                pick(
                    rng,
                    &[
                        "委托开发",
                        "合作开发",
                        "技术转让",
                        "共建联合实验室",
                        "技术许可"
                    ]
                )
            ),
            format!(
                "项目预算约{b}万元，希望{}个月内完成{}。",
                between(rng, 6, 24),
                pick(rng, &["样机验证", "小批量试产", "中试验证", "现场示范应用"])
            ),
            format!(
                "拟投入{b}万元，可提供{}。",
                pick(
                    rng,
                    &[
                        "试验场地和样品",
                        "生产线验证条件",
                        "现场应用数据",
                        "配套资金和中试产线"
                    ]
                )
            ),
        ];
        shuffle(rng, &mut options);
        if let Some(first) = options.into_iter().next() {
            out.push_str(&first);
        }
    }

    let mut track_ids = vec![TrackId(topic.track_id.clone())];
    if let Some(track) = input.zone_track
        && track != topic.track_id
    {
        track_ids.push(TrackId(track.to_owned()));
    }
    for also in &topic.also_tracks {
        if chance(rng, 0.3) && !track_ids.iter().any(|t| t.as_str() == also) {
            track_ids.push(TrackId(also.clone()));
        }
    }
    let keywords = sample_between(rng, &m.keywords, 3, 6)
        .into_iter()
        .map(str::to_owned)
        .collect();
    let excluded_university_ids = if !input.excludable.is_empty() && chance(rng, 0.02) {
        vec![UniversityId(pick(rng, input.excludable).to_owned())]
    } else {
        Vec::new()
    };
    Demand {
        id: DemandId(input.id.clone()),
        zone_id: ZoneId(input.zone.id.0.clone()),
        title,
        description: out,
        enterprise: Some(Enterprise {
            name: company,
            size: size.to_owned(),
        }),
        keywords,
        track_ids,
        budget_wan_yuan: budget,
        deadline: chance(rng, 0.8).then(|| deadline(rng)),
        excluded_university_ids,
    }
}

/// `count` distinct entries of `pool`: mostly those related to the title (best first), the rest at random.
fn related<'a>(
    rng: &mut Rng,
    pool: &'a [String],
    best: Option<&[usize]>,
    count: u32,
) -> Vec<&'a str> {
    let mut chosen: Vec<usize> = Vec::new();
    for &i in best.unwrap_or_default() {
        if chosen.len() < count as usize && chance(rng, 0.75) {
            chosen.push(i);
        }
    }
    for i in sample_indices(rng, pool.len(), pool.len()) {
        if chosen.len() >= count as usize {
            break;
        }
        if !chosen.contains(&i) {
            chosen.push(i);
        }
    }
    chosen
        .into_iter()
        .filter_map(|i| pool.get(i).map(String::as_str))
        .collect()
}

fn staff(rng: &mut Rng, size: &str) -> u32 {
    match size {
        "大型" => between(rng, 30, 200) * 10,
        "中型" => between(rng, 100, 900),
        "小型" => between(rng, 20, 99),
        _ => between(rng, 5, 19),
    }
}

/// A budget in 万元, rounded as companies state them; absent for some demands.
fn budget(rng: &mut Rng, size: &str) -> Option<f64> {
    if chance(rng, 0.15) {
        return None;
    }
    let (low, high) = match size {
        "大型" => (100, 2000),
        "中型" => (50, 600),
        "小型" => (20, 300),
        _ => (10, 100),
    };
    let raw = between(rng, low, high);
    let step = if raw >= 500 {
        100
    } else if raw >= 100 {
        50
    } else {
        5
    };
    Some(f64::from((raw / step).max(1) * step))
}

fn format_wan(value: f64) -> String {
    format!("{value}")
}

/// A deadline in 2027 or 2028, most often at a month's end.
fn deadline(rng: &mut Rng) -> String {
    let year = 2027 + i32::from(chance(rng, 0.4));
    let month = between(rng, 1, 12);
    let last = days_in_month(year, month);
    let day = match between(rng, 0, 9) {
        0..=4 => last,
        5 | 6 => 15,
        _ => between(rng, 1, last),
    };
    format!("{year}-{month:02}-{day:02}")
}
