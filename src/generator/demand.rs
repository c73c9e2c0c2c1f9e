//! Composes one synthetic enterprise demand from a topic, in the enterprise's voice: a title (sometimes
//! reworded), a description of the company, its pains, goals, indicators, scenarios and budget, a fictional
//! company, keywords, tracks, budget, deadline and, rarely, excluded universities.

use crate::domain::{Demand, DemandId, Enterprise, TrackId, UniversityId, Zone, ZoneId};

use super::material::Topic;
use super::pools;
use super::text::{
    Rng, between, bigrams, chance, clause, enumerate, numbered, pick, pick_ref, sample,
    sample_between, sample_indices, shuffle, weighted,
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
    /// How many demands of the same topic come before this one: it picks the title and its wording, so the
    /// demands of one topic read apart.
    pub ordinal: usize,
}

/// Title endings that already say what kind of request it is.
const REQUEST_ENDINGS: &[&str] = &[
    "攻关", "合作", "开发", "研发", "支持", "导入", "方案", "需求", "储备", "评估", "服务", "验证",
    "升级",
];

/// The wordings of a title, in an order of their own: the title as written, as a request, for one of its
/// scenarios.
fn wordings(base: &str, scenarios: &[&str]) -> Vec<String> {
    let request = REQUEST_ENDINGS.iter().any(|e| base.ends_with(e));
    // `…技术` takes `攻关`, not `技术攻关`.
    let technique = if base.ends_with("技术") {
        ""
    } else {
        "技术"
    };
    let key = if base.ends_with("技术") {
        ""
    } else {
        "关键技术"
    };
    // Only scenarios the title speaks of: `面向智能仓储的矿井人员定位` would name two settings.
    let related: Vec<&str> = scenarios
        .iter()
        .copied()
        .filter(|s| !bigrams(s).is_disjoint(&bigrams(base)))
        .collect();
    let mut out = vec![base.to_owned()];
    if !request {
        out.push(format!("{base}{technique}攻关"));
        out.push(format!("寻求{base}解决方案"));
    }
    if !base.ends_with("合作") && !base.ends_with("需求") {
        out.push(format!("{base}产学研合作需求"));
    }
    if !request {
        out.push(format!("{base}{key}合作开发"));
    }
    for scenario in &related {
        if !base.starts_with("面向") && scenario.chars().count() <= 12 {
            out.push(format!("面向{scenario}的{base}"));
        }
    }
    out.push(format!("关于{base}的技术需求"));
    if !request {
        out.push(format!("{base}联合研发"));
    }
    out.push(format!("{base}：征集高校合作团队"));
    out.push(format!("企业出题：{base}"));
    for scenario in &related {
        if scenario.chars().count() <= 10 {
            out.push(format!("{base}（应用于{scenario}）"));
        }
    }
    out
}

/// The title of the `ordinal`-th demand of a topic: titles in turn, each time in its next wording (a
/// wording of its own order per title), so two demands of one topic share a title only after every
/// wording of every title is used.
fn title(topic: &Topic, ordinal: usize, scenarios: &[&str]) -> (usize, String) {
    let titles = &topic.demand.titles;
    let count = titles.len().max(1);
    let index = ordinal % count;
    let base = titles.get(index).map_or("", |t| clause(t));
    let options = wordings(base, scenarios);
    let round = ordinal / count;
    let start = (index * 5 + topic.id.len()) % options.len();
    let chosen = if round == 0 {
        // The title as written comes first; then the other wordings.
        0
    } else {
        1 + (start + round - 1) % (options.len() - 1).max(1)
    };
    (
        index,
        options
            .get(chosen.min(options.len() - 1))
            .cloned()
            .unwrap_or_default(),
    )
}

fn company_name(rng: &mut Rng, zone: &Zone, track_id: &str, kind: &str, size: &str) -> String {
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
    let (industry, fixed_form) = match pools::business_of_kind(kind) {
        Some((industry, form)) => (industry, form),
        None => (pick(rng, pools::industry_words(track_id)), None),
    };
    let mut form = fixed_form.unwrap_or_else(|| weighted(rng, pools::COMPANY_FORMS, "有限公司"));
    // Groups and joint-stock companies are not small; `传感技术科技技术` would repeat the business.
    let small = size == "微型" || size == "小型";
    let repeats = (industry.ends_with("科技") || industry.ends_with("技术"))
        && (form.contains("科技") || form.contains("技术"));
    if fixed_form.is_none()
        && (repeats || (small && (form.starts_with("集团") || form.starts_with("股份"))))
    {
        form = "有限公司";
    }
    format!("{place}{brand}{industry}{form}")
}

pub fn compose(input: &DemandInput<'_>, rng: &mut Rng) -> Demand {
    let topic = input.topic;
    let m = &topic.demand;
    let link = topic
        .demand_links
        .get(input.ordinal % m.titles.len().max(1));
    let allowed_scenarios: Vec<&str> = link
        .map(|l| l.allowed_scenarios.as_slice())
        .unwrap_or_default()
        .iter()
        .filter_map(|&i| m.scenarios.get(i).map(|s| clause(s)))
        .collect();
    let scenario_pool: Vec<&str> = if allowed_scenarios.is_empty() {
        m.scenarios.iter().map(|s| clause(s)).collect()
    } else {
        allowed_scenarios
    };
    let (_, title) = title(topic, input.ordinal, &scenario_pool);
    let kinds: Vec<&str> = link
        .map(|l| l.allowed_kinds.as_slice())
        .unwrap_or_default()
        .iter()
        .filter_map(|&i| m.enterprise_kinds.get(i).map(|k| clause(k)))
        .collect();
    let kind = match pick_ref(rng, &kinds) {
        Some(kind) => *kind,
        None => clause(pick(rng, &m.enterprise_kinds)),
    };
    let size = if [
        "大型",
        "集团",
        "龙头",
        "主机厂",
        "央企",
        "国企",
        "银行",
        "运营商",
        "整车",
    ]
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
    let company = company_name(rng, input.zone, &topic.track_id, kind, size);
    let budget = budget(rng, size);
    let mut out = String::with_capacity(500);

    let scenarios = sample(rng, &scenario_pool, 2);
    let s1 = scenarios.first().copied().unwrap_or("");
    let s2 = scenarios.get(1).copied().unwrap_or(s1);
    // Banks, operators, design institutes and the like use what others make: they introduce themselves, not
    // products for scenarios.
    let user = pools::business_of_kind(kind).is_some_and(|(_, form)| form.is_some());
    out.push_str(&match between(rng, 0, if user { 1 } else { 3 }) {
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
        _ => format!("我们是一家{kind}，业务涉及{}。", enumerate(&scenarios)),
    });

    let pain_count = between(rng, 1, 2);
    let pains = related(
        rng,
        &m.pains,
        link.map(|l| (l.pains.as_slice(), l.allowed_pains.as_slice())),
        pain_count,
    );
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
        let goals = related(
            rng,
            &m.goals,
            link.map(|l| (l.goals.as_slice(), l.allowed_goals.as_slice())),
            1,
        );
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
            link.map(|l| (l.indicators.as_slice(), l.allowed_indicators.as_slice())),
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

/// `count` distinct entries of `pool`: mostly those related to the title (best first), the rest at random
/// among those the title may use (all of the pool when it names none).
fn related<'a>(
    rng: &mut Rng,
    pool: &'a [String],
    link: Option<(&[usize], &[usize])>,
    count: u32,
) -> Vec<&'a str> {
    let (best, allowed) = link.unwrap_or_default();
    let mut chosen: Vec<usize> = Vec::new();
    for &i in best {
        if chosen.len() < count as usize && allowed.contains(&i) && chance(rng, 0.75) {
            chosen.push(i);
        }
    }
    let rest: Vec<usize> = if allowed.is_empty() {
        (0..pool.len()).collect()
    } else {
        allowed.to_vec()
    };
    for k in sample_indices(rng, rest.len(), rest.len()) {
        if chosen.len() >= count as usize {
            break;
        }
        if !chosen.contains(&rest[k]) {
            chosen.push(rest[k]);
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

/// A budget in 万元 as companies state them, by company size: what a micro company commissions from a
/// university is tens of thousands of yuan, a large one's rarely more than ten million; most sit in the lower
/// part of the range (the smaller of two draws). Absent for some demands.
fn budget(rng: &mut Rng, size: &str) -> Option<f64> {
    if chance(rng, 0.15) {
        return None;
    }
    let (low, high) = match size {
        "大型" => (50, 1000),
        "中型" => (30, 400),
        "小型" => (10, 150),
        _ => (5, 50),
    };
    let raw = between(rng, low, high).min(between(rng, low, high));
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
