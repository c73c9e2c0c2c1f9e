//! Composes one synthetic research team from a topic: a fictional leader, a name, fields, an academic
//! profile in varied sentence frames, achievements drawn from the topic's pools and synthesised from its
//! methods, objects, problems and results, platforms, capacity and keywords.

use std::collections::HashSet;

use crate::domain::{
    Achievement, AchievementKind, Leader, Platform, Team, TeamId, TrackId, University,
    UniversityId, UniversityKind,
};

use super::material::Topic;
use super::pools;
use super::text::{
    Rng, between, chance, clause, direction_core, enumerate, numbered, one_discipline, pick,
    pick_ref, sample, sample_between, sample_indices, short_track_name, shuffle, similar, weighted,
};

/// Files a team's patents: each gets a number (专利号 with its check digit, `ZL` once granted), a legal
/// status by its age, and about a third of the granted ones are offered for transfer (可转化). Drawn from
/// its own stream, so the rest of the team is the same with or without it.
pub fn file_patents(rng: &mut Rng, team: &mut Team) {
    for a in team
        .achievements
        .iter_mut()
        .filter(|a| a.kind == AchievementKind::Patent)
    {
        let year = a.year.unwrap_or(2020);
        let applied = year - i32::from(chance(rng, 0.4));
        let invention = a.title.contains("方法") || chance(rng, 0.5);
        let serial = between(rng, 0, 9_999_999);
        let digits = format!("{applied:04}{}{serial:07}", if invention { 1 } else { 2 });
        let pending = chance(rng, if year >= 2024 { 0.6 } else { 0.1 });
        let lapsed = !pending && year < 2020 && chance(rng, 0.2);
        let status = match (pending, lapsed) {
            (true, _) => "审中",
            (_, true) => "失效",
            _ => "有效",
        };
        let prefix = if pending { "" } else { "ZL" };
        a.patent_no = Some(format!("{prefix}{digits}.{}", check_digit(&digits)));
        a.legal_status = Some(status.to_owned());
        a.transferable = (status == "有效" && chance(rng, 0.35)).then_some(true);
    }
}

/// The check digit of a 12-digit Chinese patent application number: the digits weighted 2–9, 2–5 in
/// turn, summed modulo 11; 10 is written X.
fn check_digit(digits: &str) -> char {
    const WEIGHTS: [u32; 12] = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];
    let sum: u32 = digits
        .chars()
        .filter_map(|c| c.to_digit(10))
        .zip(WEIGHTS)
        .map(|(d, w)| d * w)
        .sum();
    match sum % 11 {
        10 => 'X',
        d => char::from_digit(d, 10).unwrap_or('0'),
    }
}

/// What a team is composed from.
pub struct TeamInput<'a> {
    pub id: String,
    pub topic: &'a Topic,
    pub track_name: &'a str,
    pub university: &'a University,
}

/// A fictional person's name: common surname, one or two given-name characters.
pub fn person_name(rng: &mut Rng) -> String {
    let surname = weighted(rng, pools::SURNAMES, "王");
    let mut name = surname.to_owned();
    name.push_str(pick(rng, pools::GIVEN));
    if chance(rng, 0.7) {
        name.push_str(pick(rng, pools::GIVEN));
    }
    name
}

fn leader(rng: &mut Rng, applied: bool) -> Leader {
    let titles: &[(&str, u32)] = if applied {
        &[
            ("教授", 45),
            ("副教授", 40),
            ("研究员", 5),
            ("高级工程师", 10),
        ]
    } else {
        &[("教授", 60), ("研究员", 17), ("副教授", 23)]
    };
    let title = weighted(rng, titles, "教授");
    let scale = if applied { 0.4 } else { 1.0 };
    let senior = title != "副教授" && title != "高级工程师";
    let mut honors = Vec::new();
    for &(honor, per_mille) in pools::HONORS {
        let national = !honor.starts_with("江苏省");
        let p = f64::from(per_mille) / 1000.0 * scale * if national && !senior { 0.2 } else { 1.0 };
        // One national talent title at most, one provincial youth title at most, three honours at most.
        let clash = honors.iter().any(|h: &String| {
            (h.contains("科学基金") && honor.contains("科学基金"))
                || (h.contains("长江") && honor.contains("长江"))
        });
        if honors.len() < 3 && !clash && chance(rng, p) {
            honors.push(honor.to_owned());
        }
    }
    Leader {
        name: person_name(rng),
        title: title.to_owned(),
        honors,
    }
}

fn team_name(rng: &mut Rng, leader: &Leader, fields: &[&str], topic: &Topic) -> String {
    let f1 = fields.first().copied().unwrap_or(topic.name.as_str());
    let f2 = fields.get(1).copied().unwrap_or(f1);
    match between(rng, 0, 9) {
        0 | 1 => format!("{}{}团队", leader.name, leader.title),
        2 => format!("{}课题组", leader.name),
        3..=5 => format!("{f1}创新团队"),
        6 | 7 => format!("{f1}研究团队"),
        8 if f1.chars().count() + f2.chars().count() <= 12
            && !f1.contains('与')
            && !f2.contains('与') =>
        {
            format!("{f1}与{f2}交叉研究团队")
        }
        8 => format!("{f1}研究团队"),
        _ => format!(
            "{}科研团队",
            direction_core(pick(rng, &topic.team.directions))
        ),
    }
}

/// Renames `team` when its university already has a team of that name (`seen` holds the names so far):
/// the leader's team, the leader's group, then a numbered group.
pub fn make_name_unique(team: &mut Team, seen: &mut HashSet<(String, String)>) {
    let university = team.university_id.as_str().to_owned();
    let leader = team.leader.as_ref().map_or("", |l| l.name.as_str());
    let title = team.leader.as_ref().map_or("", |l| l.title.as_str());
    let mut options = vec![
        team.name.clone(),
        format!("{leader}{title}团队"),
        format!("{leader}课题组"),
    ];
    options.extend((2..).take(50).map(|n| format!("{}（{n}组）", team.name)));
    for name in options {
        if seen.insert((university.clone(), name.clone())) {
            team.name = name;
            return;
        }
    }
}

/// The team's discipline: one the topic needs and the university is strong in, else one the topic needs.
fn discipline<'a>(rng: &mut Rng, topic: &'a Topic, university: &'a University) -> &'a str {
    let shared: Vec<&'a str> = topic
        .disciplines
        .iter()
        .filter(|d| {
            d.split('/')
                .any(|p| university.disciplines.iter().any(|u| u.contains(p)))
        })
        .map(String::as_str)
        .collect();
    let chosen: &'a str = if shared.is_empty() {
        pick(rng, &topic.disciplines)
    } else {
        pick_ref(rng, &shared).copied().unwrap_or_default()
    };
    let chosen = one_discipline(rng, chosen);
    if chosen.is_empty() {
        pick(rng, &university.disciplines)
    } else {
        chosen
    }
}

pub fn compose(input: &TeamInput<'_>, rng: &mut Rng) -> Team {
    let topic = input.topic;
    let m = &topic.team;
    let university = input.university;
    let applied = university.kind == Some(UniversityKind::Applied);
    let leader = leader(rng, applied);
    let members = between(rng, 5, if applied { 14 } else { 26 });
    let field_count = between(rng, 2, 4) as usize;
    let fields = sample(rng, &m.fields, field_count);
    let name = team_name(rng, &leader, &fields, topic);
    let discipline = discipline(rng, topic, university);
    let platforms = platforms(rng, topic, university);
    let achievements = achievements(rng, topic, &fields);
    let description = description(
        rng,
        &Profile {
            input,
            leader: &leader,
            fields: &fields,
            discipline,
            members,
            platforms: &platforms,
        },
        &achievements,
    );
    let mut keywords: Vec<String> = sample_between(rng, &m.keywords, 4, 7)
        .into_iter()
        .map(str::to_owned)
        .collect();
    if chance(rng, 0.3)
        && let Some(field) = fields.last()
        && !keywords.iter().any(|k| k == field)
    {
        keywords.push((*field).to_owned());
    }
    let mut track_ids = vec![TrackId(topic.track_id.clone())];
    track_ids.extend(topic.also_tracks.iter().map(|t| TrackId(t.clone())));
    let mut team_fields: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
    if chance(rng, 0.3) && !team_fields.iter().any(|f| f == discipline) && !discipline.is_empty() {
        team_fields.push(discipline.to_owned());
    }
    Team {
        id: TeamId(input.id.clone()),
        university_id: UniversityId(university.id.0.clone()),
        name,
        leader: Some(leader),
        fields: team_fields,
        description,
        keywords,
        track_ids,
        platforms,
        achievements,
        capacity: between(rng, 2, 5),
        members: Some(members),
    }
}

fn platforms(rng: &mut Rng, topic: &Topic, university: &University) -> Vec<Platform> {
    let count = weighted(rng, &[(0usize, 2), (1, 5), (2, 3)], 1);
    sample_indices(rng, topic.team.platforms.len(), count)
        .into_iter()
        .map(|i| {
            let platform = &topic.team.platforms[i];
            Platform {
                name: generic_platform_name(&university.name, &platform.name),
                kind: platform.kind.clone(),
                ..Default::default()
            }
        })
        .collect()
}

/// A team platform's name: the university's own, without a rank it does not hold (no 江苏省 or 国家, no
/// 重点实验室 or 工程研究中心, which name accredited platforms): `江苏省储能电池安全工程研究中心` becomes
/// `某大学储能电池安全工程中心`.
pub fn generic_platform_name(university: &str, topic_platform: &str) -> String {
    let mut name = topic_platform;
    for prefix in ["江苏省", "国家", "全国", "省"] {
        name = name.strip_prefix(prefix).unwrap_or(name);
    }
    let name = name
        .replace("重点实验室", "实验室")
        .replace("工程技术研究中心", "工程中心")
        .replace("工程研究中心", "工程中心");
    if name.starts_with(university) {
        name
    } else {
        format!("{university}{name}")
    }
}

struct Profile<'a> {
    input: &'a TeamInput<'a>,
    leader: &'a Leader,
    fields: &'a [&'a str],
    discipline: &'a str,
    members: u32,
    platforms: &'a [Platform],
}

fn description(rng: &mut Rng, p: &Profile<'_>, achievements: &[Achievement]) -> String {
    let topic = p.input.topic;
    let m = &topic.team;
    let university = &p.input.university.name;
    let f1 = p.fields.first().copied().unwrap_or(topic.name.as_str());
    let f2 = p.fields.get(1).copied().unwrap_or(f1);
    let mut out = String::with_capacity(600);

    out.push_str(&match between(rng, 0, 4) {
        0 => format!(
            "团队依托{university}{}学科，长期从事{f1}与{f2}研究。",
            p.discipline
        ),
        1 => format!(
            "团队现有固定成员{}人，其中高级职称{}人，主要从事{}等方向的研究工作。",
            p.members,
            (p.members / 3).max(2),
            enumerate(p.fields)
        ),
        2 => format!(
            "团队面向{}产业需求，聚焦{}开展应用基础研究和关键技术攻关。",
            short_track_name(p.input.track_name),
            topic.name
        ),
        3 => format!(
            "{}{}领衔的团队扎根{f1}领域多年，长期围绕{}开展研究。",
            p.leader.name, p.leader.title, topic.name
        ),
        _ => {
            let rest = p.fields.get(1..).unwrap_or_default();
            let others = if rest.is_empty() {
                f2.to_owned()
            } else {
                enumerate(rest)
            };
            format!(
                "本团队隶属{university}{}学院，研究工作以{f1}为主线，兼顾{others}。",
                p.discipline
            )
        }
    });

    let directions: Vec<&str> = sample_between(rng, &m.directions, 2, 3)
        .into_iter()
        .map(clause)
        .collect();
    out.push_str(&match (between(rng, 0, 3), directions.as_slice()) {
        (0, ds) => format!("主要研究方向包括：{}。", numbered(ds)),
        (1, [a, rest @ ..]) if !rest.is_empty() => {
            format!("目前的研究方向涵盖{a}、{}。", rest.join("以及"))
        }
        (2, [a, b, ..]) => {
            format!(
                "近年来重点围绕{}和{}等方向开展工作。",
                direction_core(a),
                direction_core(b)
            )
        }
        (_, ds) => {
            let (last, init) = ds.split_last().unwrap_or((&"", &[]));
            if init.is_empty() {
                format!("研究内容主要包括{last}。")
            } else {
                format!("研究内容主要包括{}，以及{last}。", init.join("、"))
            }
        }
    });

    let linked = parts(rng, topic);
    let problem = linked
        .as_ref()
        .map_or_else(|| clause(pick(rng, &m.problems)), |p| p.problem);
    let m1 = match linked.as_ref().and_then(|p| p.method) {
        Some(method) => method,
        None => clause(pick(rng, &m.methods)),
    };
    let o1 = match linked.as_ref().and_then(|p| p.object) {
        Some(object) => object,
        None => clause(pick(rng, &m.objects)),
    };
    let others: Vec<&str> = m
        .methods
        .iter()
        .map(|x| clause(x))
        .filter(|x| *x != m1)
        .collect();
    let m2 = pick(rng, &others);
    let m2 = if m2.is_empty() { m1 } else { m2 };
    let mut objects = vec![o1];
    let other = clause(pick(rng, &m.objects));
    if other != o1 {
        objects.push(other);
    }
    let with_method = chance(rng, 0.8);
    if with_method {
        out.push_str(&match between(rng, 0, 3) {
            0 => format!("针对{problem}的问题，团队综合运用{m1}、{m2}等手段开展系统研究。"),
            1 => format!("围绕“{problem}”这一难题，团队发展了以{m1}和{m2}为核心的技术路线。"),
            2 => format!(
                "在方法上，团队注重{m1}与{m2}的结合，研究对象涵盖{}等。",
                objects.join("、")
            ),
            _ => format!(
                "团队以{}为主要研究对象，形成了以{m1}、{m2}为代表的研究手段。",
                enumerate(&objects)
            ),
        });
    }

    if !with_method || chance(rng, 0.8) {
        let results: Vec<&str> = sample_between(rng, &m.results, 1, 3)
            .into_iter()
            .map(clause)
            .collect();
        out.push_str(&match (between(rng, 0, 3), results.as_slice()) {
            (0, [one]) => format!("相关技术已在合作企业完成验证，{one}。"),
            (1, [one]) => format!("经实验验证，{one}。"),
            (_, [one]) => format!("在工程应用中，{one}。"),
            (0, rs) => format!("取得的主要进展有：{}。", rs.join("；")),
            (1, rs) => format!("代表性成果包括：{}。", rs.join("；")),
            (2, rs) => format!("研究成果方面，{}。", rs.join("；")),
            (_, rs) => format!("经样机和现场验证，{}。", rs.join("；")),
        });
    }

    let mut tail: Vec<String> = Vec::new();
    if chance(rng, 0.6) {
        tail.push(match between(rng, 0, 5) {
            0 => format!(
                "近五年主持国家自然科学基金、国家重点研发计划课题等纵向项目{}项，承担企业委托项目{}项。",
                between(rng, 3, 15),
                between(rng, 4, 30)
            ),
            1 => {
                let granted = between(rng, 6, 60);
                format!(
                    "团队累计发表学术论文{}余篇，授权发明专利{granted}件，其中{}件已实现转让或许可。",
                    between(rng, 3, 20) * 10,
                    between(rng, 1, (granted / 4).max(1))
                )
            }
            2 => format!(
                "近五年承担横向课题{}项，合同经费累计{}万元。",
                between(rng, 5, 40),
                between(rng, 8, 120) * 50
            ),
            3 => format!(
                "团队成员中具有博士学位者占{}%，在读研究生{}人。",
                between(rng, 60, 100),
                between(rng, 8, 45)
            ),
            4 => format!(
                "团队近三年到账科研经费{}万元，其中企业横向经费占{}%。",
                between(rng, 6, 90) * 50,
                between(rng, 20, 70)
            ),
            _ => format!(
                "团队已培养博士、硕士研究生{}余名，多名毕业生就职于省内{}企业。",
                between(rng, 3, 15) * 10,
                short_track_name(p.input.track_name)
            ),
        });
    }
    if let Some(platform) = pick_ref(rng, p.platforms)
        && chance(rng, 0.6)
    {
        let name = &platform.name;
        tail.push(match between(rng, 0, 3) {
            0 => format!("借助{name}，团队可为企业提供技术咨询、联合攻关和中试验证服务。"),
            1 => format!("团队建有{name}，拥有较完善的实验与测试条件。"),
            2 => format!(
                "依托{name}，团队已与{}家企业建立联合研发关系。",
                between(rng, 3, 20)
            ),
            _ => format!("团队牵头建设{name}，相关条件可对园区企业开放共享。"),
        });
    }
    if let Some(award) = achievements
        .iter()
        .find(|a| a.kind == AchievementKind::Award)
        && chance(rng, 0.7)
    {
        tail.push(format!("相关成果获{}。", award.title));
    }
    if chance(rng, 0.3) {
        tail.push(match between(rng, 0, 2) {
            0 => format!("团队希望与园区企业在{f2}方向开展联合攻关和成果转化。"),
            1 => format!(
                "目前正推进{}的工程化应用，欢迎相关企业洽谈合作。",
                direction_core(pick(rng, &m.directions))
            ),
            _ => format!(
                "团队长期与{}及周边企业保持合作，熟悉产业一线的技术需求。",
                p.input.university.city
            ),
        });
    }
    shuffle(rng, &mut tail);
    for sentence in tail {
        out.push_str(&sentence);
    }
    out
}

const PAPER_ASPECTS: &[&str] = &[
    "失效机理",
    "建模与仿真",
    "特性分析",
    "性能优化",
    "在线监测",
    "关键工艺",
    "设计优化",
    "表征与评价",
    "寿命预测",
];
const PATENT_ASPECTS: &[&str] = &["检测", "在线监测", "评估", "优化", "质量控制"];
/// Effects a patent claims, worded so they suit any field (a CT detector as well as a rolling mill).
const PATENT_EFFECTS: &[&str] = &[
    "结果稳定、重复性好",
    "较现有方法精度更高",
    "结构简单、可靠性高",
    "处理效率明显提高",
    "易于与现有系统集成",
];

fn achievements(rng: &mut Rng, topic: &Topic, fields: &[&str]) -> Vec<Achievement> {
    let m = &topic.team;
    let count = between(rng, 3, 6) as usize;
    let mut papers = sample_indices(rng, m.papers.len(), m.papers.len());
    let mut patents = sample_indices(rng, m.patents.len(), m.patents.len());
    let mut out: Vec<Achievement> = Vec::with_capacity(count);
    let mut seen_titles: Vec<String> = Vec::new();
    let mut attempts = 0;
    while out.len() < count && attempts < 4 * count + 8 {
        attempts += 1;
        let roll = between(rng, 0, 99);
        let year = Some(2015 + between(rng, 0, 11) as i32);
        let achievement = match roll {
            0..=29 => papers.pop().map(|i| Achievement {
                kind: AchievementKind::Paper,
                title: m.papers[i].title.clone(),
                r#abstract: m.papers[i].r#abstract.clone(),
                year,
                patent_no: None,
                legal_status: None,
                transferable: None,
            }),
            30..=49 => patents.pop().map(|i| Achievement {
                kind: AchievementKind::Patent,
                title: m.patents[i].title.clone(),
                r#abstract: m.patents[i].r#abstract.clone(),
                year,
                patent_no: None,
                legal_status: None,
                transferable: None,
            }),
            50..=71 => synthetic_paper(rng, topic, year),
            72..=87 => synthetic_patent(rng, topic, fields, year),
            88..=94 => project(rng, topic, year),
            95..=97 => Some(award(rng, topic, fields, year)),
            _ => Some(standard(rng, topic, year)),
        };
        if let Some(a) = achievement
            && !seen_titles.contains(&a.title)
            && (a.kind != AchievementKind::Award
                || !out.iter().any(|o| o.kind == AchievementKind::Award))
        {
            seen_titles.push(a.title.clone());
            out.push(a);
        }
    }
    out.sort_by_key(|a| std::cmp::Reverse(a.year));
    out
}

/// The parts of a topic one synthesised text combines: a problem with its result and the direction, method
/// and object that go with them (`None` where none shares enough words with the pair, so a title never
/// pairs a problem with an unrelated direction or method).
struct Parts<'a> {
    problem: &'a str,
    result: Option<&'a str>,
    direction: Option<&'a str>,
    method: Option<&'a str>,
    object: Option<&'a str>,
}

fn parts<'a>(rng: &mut Rng, topic: &'a Topic) -> Option<Parts<'a>> {
    let m = &topic.team;
    let link = pick_ref(rng, &topic.links)?;
    let linked = |index: Option<usize>, pool: &'a [String]| -> Option<&'a str> {
        index.and_then(|i| pool.get(i)).map(|text| clause(text))
    };
    Some(Parts {
        problem: clause(m.problems.get(link.problem)?),
        result: m
            .results
            .get(link.result)
            .filter(|_| link.result_fits)
            .map(|r| clause(r)),
        direction: linked(link.direction, &m.directions),
        method: linked(link.method, &m.methods),
        object: linked(link.object, &m.objects),
    })
}

/// A paper composed from one problem–result pair, titled after the direction or object that goes with it;
/// `None` when the pair has neither.
fn synthetic_paper(rng: &mut Rng, topic: &Topic, year: Option<i32>) -> Option<Achievement> {
    let Parts {
        problem,
        result,
        direction,
        method,
        object,
    } = parts(rng, topic)?;
    let with_method = |core: &str| {
        method
            .filter(|m| !core.starts_with("基于") && !core.starts_with("面向") && !similar(m, core))
    };
    let title = match (direction, object) {
        (Some(direction), _) => {
            let core = direction_core(direction);
            match between(rng, 0, 4) {
                0 if direction.ends_with("研究") => format!("{direction}进展"),
                0 => format!("{direction}研究"),
                1 => format!("{core}的若干关键问题研究"),
                2 if ["方法", "技术", "工艺", "算法", "控制", "设计"]
                    .iter()
                    .any(|e| core.ends_with(e)) =>
                {
                    format!("{core}及其应用")
                }
                2 => format!("{core}研究"),
                3 => format!("{core}：方法与实验验证"),
                _ => match with_method(core) {
                    Some(m) => format!("基于{m}的{core}"),
                    None => format!("{core}研究"),
                },
            }
        }
        (None, Some(object)) => match method.filter(|m| !similar(m, object)) {
            Some(m) => format!("基于{m}的{object}{}研究", pick(rng, PAPER_ASPECTS)),
            None => format!("{object}{}研究", pick(rng, PAPER_ASPECTS)),
        },
        (None, None) => return None,
    };
    let summary = match (result, between(rng, 0, 3), method, object) {
        (Some(result), 0, Some(m), _) => {
            format!("针对{problem}的问题，本文采用{m}开展研究。结果表明，{result}。")
        }
        (Some(result), 2, Some(m), _) => {
            format!("本文分析了{problem}的成因，结合{m}提出改进方案。{result}。")
        }
        (Some(result), 3, _, Some(o)) => {
            format!("以{o}为研究对象，针对{problem}的问题提出了改进方法。实验表明，{result}。")
        }
        (Some(result), ..) => {
            format!("针对{problem}的问题，建立了分析模型并开展实验验证，{result}。")
        }
        (None, _, Some(m), _) => {
            format!("针对{problem}的问题，本文采用{m}开展研究并进行了实验验证。")
        }
        (None, ..) => format!("本文分析了{problem}的成因，并提出了相应的改进方法。"),
    };
    Some(Achievement {
        kind: AchievementKind::Paper,
        title,
        r#abstract: summary,
        year,
        patent_no: None,
        legal_status: None,
        transferable: None,
    })
}

/// A patent on the object that goes with one problem–result pair; `None` when the pair has none.
fn synthetic_patent(
    rng: &mut Rng,
    topic: &Topic,
    fields: &[&str],
    year: Option<i32>,
) -> Option<Achievement> {
    let Parts {
        problem,
        method,
        object,
        ..
    } = parts(rng, topic)?;
    let object = object?;
    let aspect = pick(rng, PATENT_ASPECTS);
    let method = method.filter(|m| !similar(m, object));
    let (title, thing) = match (between(rng, 0, 2), method) {
        (0, Some(m)) => (format!("一种基于{m}的{object}{aspect}方法"), "方法"),
        (0, None) => (format!("一种{object}{aspect}方法"), "方法"),
        (1, _) => (
            format!(
                "一种{object}{}装置",
                pick(rng, &["检测", "在线监测", "测试"])
            ),
            "装置",
        ),
        _ => (format!("一种用于{object}的{aspect}系统及方法"), "系统"),
    };
    let field = fields.first().copied().unwrap_or(topic.name.as_str());
    let summary = match method {
        Some(m) if chance(rng, 0.6) => format!(
            "本发明涉及{field}技术领域，所述{thing}采用{m}，解决了现有技术中{problem}的问题。"
        ),
        Some(m) => {
            let effect = pick(rng, PATENT_EFFECTS);
            format!("本发明提供{title}，以{m}为核心手段，{effect}。")
        }
        None => format!("本发明涉及{field}技术领域，解决了现有技术中{problem}的问题。"),
    };
    Some(Achievement {
        kind: AchievementKind::Patent,
        title,
        r#abstract: summary,
        year,
        patent_no: None,
        legal_status: None,
        transferable: None,
    })
}

fn project(rng: &mut Rng, topic: &Topic, year: Option<i32>) -> Option<Achievement> {
    let Parts {
        problem,
        result,
        direction,
        object,
        ..
    } = parts(rng, topic)?;
    let title = match (between(rng, 0, 3), direction, object) {
        (0, Some(d), _) => format!("国家自然科学基金面上项目：{}研究", direction_core(d)),
        (1, Some(d), _) => format!("国家重点研发计划课题：{}关键技术", direction_core(d)),
        (2, Some(d), _) => format!(
            "江苏省重点研发计划（产业前瞻与关键核心技术）项目：{}",
            direction_core(d)
        ),
        (_, _, Some(o)) => format!("企业委托项目：{o}{}技术开发", pick(rng, PATENT_ASPECTS)),
        _ => return None,
    };
    let summary = match result {
        Some(result) if chance(rng, 0.5) => {
            format!("项目针对{problem}的问题开展研究，{result}。")
        }
        _ => String::new(),
    };
    Some(Achievement {
        kind: AchievementKind::Project,
        title,
        r#abstract: summary,
        year,
        patent_no: None,
        legal_status: None,
        transferable: None,
    })
}

fn award(rng: &mut Rng, topic: &Topic, fields: &[&str], year: Option<i32>) -> Achievement {
    let field = fields.first().copied().unwrap_or(topic.name.as_str());
    let level = weighted(
        rng,
        &[
            ("江苏省科学技术奖二等奖", 3),
            ("江苏省科学技术奖三等奖", 4),
            ("中国产学研合作创新成果奖二等奖", 2),
            ("教育部科学技术进步奖二等奖", 1),
        ],
        "江苏省科学技术奖三等奖",
    );
    let title = format!("{}年{level}（{field}关键技术及应用）", year.unwrap_or(2020));
    Achievement {
        kind: AchievementKind::Award,
        title,
        r#abstract: String::new(),
        year,
        patent_no: None,
        legal_status: None,
        transferable: None,
    }
}

fn standard(rng: &mut Rng, topic: &Topic, year: Option<i32>) -> Achievement {
    let object = clause(pick(rng, &topic.team.objects));
    let kind = pick(rng, &["团体标准", "行业标准", "江苏省地方标准"]);
    let name = pick(
        rng,
        &["技术规范", "测试方法", "通用技术条件", "性能评价方法"],
    );
    Achievement {
        kind: AchievementKind::Standard,
        title: format!("{kind}《{object}{name}》"),
        r#abstract: String::new(),
        year,
        patent_no: None,
        legal_status: None,
        transferable: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patent_numbers_carry_their_check_digit() {
        // 2·2 + 0·3 + 2·4 + 3·5 + 1·6 + 0·7 + 1·8 + 2·9 + 3·2 + 4·3 + 5·4 + 6·5 = 127 ≡ 6 (mod 11)
        assert_eq!(check_digit("202310123456"), '6');
        // 2·2 + 0·3 + 2·4 + 0·5 + 1·6 + 0·7 + 0·8 + 0·9 + 0·2 + 0·3 + 0·4 + 9·5 = 63 ≡ 8
        assert_eq!(check_digit("202010000009"), '8');
        // A sum ≡ 10 is written X: 2·5 = 10 in the first place, the rest zero.
        assert_eq!(check_digit("500000000000"), 'X');
    }
}
