//! The diversity rule of a university's fitting demands: on the first page, no one team takes more than
//! its fair share, so that a university with one strong team still sees what its other teams fit.

/// Reorders a best-first list so that among its first `page` items no group (a team) has more than its
/// fair share, `ceil(page / groups)` items, where `groups` counts the distinct groups in the list.
/// Items held back keep their order and follow the first page; a list with one group, or one no longer
/// than a group's share, is left as it is. Nothing is dropped.
pub(crate) fn spread<T, K: PartialEq>(items: &mut Vec<T>, page: usize, group: impl Fn(&T) -> K) {
    if page == 0 || items.len() <= 1 {
        return;
    }
    let mut groups: Vec<K> = Vec::new();
    for item in items.iter() {
        let k = group(item);
        if !groups.contains(&k) {
            groups.push(k);
        }
    }
    let share = page.div_ceil(groups.len());
    let mut counts = vec![0usize; groups.len()];
    let mut first = Vec::with_capacity(page);
    let mut rest = Vec::new();
    for item in items.drain(..) {
        let g = groups
            .iter()
            .position(|k| *k == group(&item))
            .unwrap_or_default();
        if first.len() < page && counts[g] < share {
            counts[g] += 1;
            first.push(item);
        } else {
            rest.push(item);
        }
    }
    // Held-back items fill the first page when no other group has items left to offer.
    while first.len() < page && !rest.is_empty() {
        first.push(rest.remove(0));
    }
    first.append(&mut rest);
    *items = first;
}

#[cfg(test)]
mod tests {
    use super::spread;

    fn run(list: &[(&'static str, u32)], page: usize) -> Vec<(&'static str, u32)> {
        let mut v = list.to_vec();
        spread(&mut v, page, |x| x.0);
        v
    }

    #[test]
    fn one_team_takes_at_most_its_share_of_the_first_page() {
        let list = [
            ("a", 1),
            ("a", 2),
            ("a", 3),
            ("a", 4),
            ("b", 5),
            ("a", 6),
            ("c", 7),
            ("b", 8),
        ];
        // Three teams, page 3: one each, best first within each team; then the rest in order.
        assert_eq!(
            run(&list, 3),
            [
                ("a", 1),
                ("b", 5),
                ("c", 7),
                ("a", 2),
                ("a", 3),
                ("a", 4),
                ("a", 6),
                ("b", 8)
            ]
        );
        // Page 6: share 2.
        let out = run(&list, 6);
        let first: Vec<_> = out[..6].to_vec();
        assert_eq!(first.iter().filter(|x| x.0 == "a").count(), 3);
        assert_eq!(out.len(), list.len());
    }

    #[test]
    fn a_single_team_or_a_short_list_is_left_alone() {
        let one = [("a", 1), ("a", 2), ("a", 3)];
        assert_eq!(run(&one, 2), one);
        assert_eq!(run(&[("a", 1), ("b", 2)], 20), [("a", 1), ("b", 2)]);
        assert_eq!(run(&[], 20), []);
    }
}
