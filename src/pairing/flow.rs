//! Exact min-cost flow on integer capacities and costs: successive shortest augmenting paths with
//! Johnson potentials (Bellman–Ford once, then Dijkstra), stopping when no path of negative cost is left.
//! This yields a flow of minimum total cost over all flow values, which is what the pairing model needs.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

const INF: i64 = i64::MAX / 4;

/// A directed graph with residual edges; edge `e` and its reverse are `e` and `e ^ 1`.
#[derive(Debug, Clone)]
pub struct MinCostFlow {
    adj: Vec<Vec<usize>>,
    to: Vec<usize>,
    cap: Vec<i64>,
    cost: Vec<i64>,
    original: Vec<i64>,
}

impl MinCostFlow {
    pub fn new(nodes: usize) -> Self {
        Self {
            adj: vec![Vec::new(); nodes],
            to: Vec::new(),
            cap: Vec::new(),
            cost: Vec::new(),
            original: Vec::new(),
        }
    }

    /// Adds an edge and returns its id.
    pub fn add_edge(&mut self, from: usize, to: usize, cap: i64, cost: i64) -> usize {
        let id = self.to.len();
        self.adj[from].push(id);
        self.to.push(to);
        self.cap.push(cap.max(0));
        self.cost.push(cost);
        self.original.push(cap.max(0));
        self.adj[to].push(id + 1);
        self.to.push(from);
        self.cap.push(0);
        self.cost.push(-cost);
        self.original.push(0);
        id
    }

    /// Flow currently on edge `e`.
    pub fn flow(&self, e: usize) -> i64 {
        self.original[e] - self.cap[e]
    }

    /// Residual capacity of edge `e`.
    pub fn residual(&self, e: usize) -> i64 {
        self.cap[e]
    }

    /// Edge ids leaving `node` (reverse edges included; they have odd ids).
    pub fn edges_from(&self, node: usize) -> &[usize] {
        &self.adj[node]
    }

    /// Head of edge `e`.
    pub fn head(&self, e: usize) -> usize {
        self.to[e]
    }

    /// Sends flow from `s` to `t` while an augmenting path of negative cost exists; returns the total
    /// cost. The graph given must have no cycle of negative cost.
    pub fn min_cost_flow(&mut self, s: usize, t: usize) -> i64 {
        let n = self.adj.len();
        let mut pot = self.bellman_ford(s);
        for p in pot.iter_mut() {
            if *p >= INF {
                *p = 0;
            }
        }
        let mut total = 0i64;
        let mut dist = vec![INF; n];
        let mut prev = vec![usize::MAX; n];
        let mut heap = BinaryHeap::new();
        loop {
            dist.fill(INF);
            prev.fill(usize::MAX);
            dist[s] = 0;
            heap.push(Reverse((0i64, s)));
            while let Some(Reverse((d, v))) = heap.pop() {
                if d > dist[v] {
                    continue;
                }
                if v == t {
                    // Nodes not settled yet are at least as far as t; min(dist, dist[t]) below
                    // keeps every reduced cost non-negative.
                    break;
                }
                for &e in &self.adj[v] {
                    if self.cap[e] <= 0 {
                        continue;
                    }
                    let w = self.to[e];
                    let nd = d + self.cost[e] + pot[v] - pot[w];
                    if nd < dist[w] {
                        dist[w] = nd;
                        prev[w] = e;
                        heap.push(Reverse((nd, w)));
                    }
                }
            }
            heap.clear();
            if dist[t] >= INF {
                break;
            }
            let path_cost = dist[t] + pot[t] - pot[s];
            if path_cost >= 0 {
                break;
            }
            let dt = dist[t];
            for v in 0..n {
                pot[v] += dist[v].min(dt);
            }
            let mut push = INF;
            let mut v = t;
            while v != s {
                let e = prev[v];
                push = push.min(self.cap[e]);
                v = self.to[e ^ 1];
            }
            let mut v = t;
            while v != s {
                let e = prev[v];
                self.cap[e] -= push;
                self.cap[e ^ 1] += push;
                v = self.to[e ^ 1];
            }
            total += push * path_cost;
        }
        total
    }

    fn bellman_ford(&self, s: usize) -> Vec<i64> {
        let n = self.adj.len();
        let mut dist = vec![INF; n];
        dist[s] = 0;
        let mut queue = std::collections::VecDeque::from([s]);
        let mut queued = vec![false; n];
        queued[s] = true;
        while let Some(v) = queue.pop_front() {
            queued[v] = false;
            for &e in &self.adj[v] {
                if self.cap[e] <= 0 {
                    continue;
                }
                let w = self.to[e];
                let nd = dist[v] + self.cost[e];
                if nd < dist[w] {
                    dist[w] = nd;
                    if !queued[w] {
                        queued[w] = true;
                        queue.push_back(w);
                    }
                }
            }
        }
        dist
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_cheapest_negative_paths_only() {
        // s=0, a=1, b=2, t=3: s->a (-5), s->b (-1), a->t, b->t (cap 1 each), plus a positive route.
        let mut g = MinCostFlow::new(4);
        let sa = g.add_edge(0, 1, 1, -5);
        let sb = g.add_edge(0, 2, 1, -1);
        g.add_edge(1, 3, 1, 0);
        g.add_edge(2, 3, 1, 0);
        let pos = g.add_edge(0, 3, 5, 2);
        assert_eq!(g.min_cost_flow(0, 3), -6);
        assert_eq!((g.flow(sa), g.flow(sb), g.flow(pos)), (1, 1, 0));
    }

    #[test]
    fn reroutes_through_reverse_edges() {
        // Two left nodes, two right nodes; greedy would take the -10 edge and block the optimum.
        // s=0, l1=1, l2=2, r1=3, r2=4, t=5.
        let mut g = MinCostFlow::new(6);
        g.add_edge(0, 1, 1, 0);
        g.add_edge(0, 2, 1, 0);
        let l1r1 = g.add_edge(1, 3, 1, -10);
        let l1r2 = g.add_edge(1, 4, 1, -9);
        let l2r1 = g.add_edge(2, 3, 1, -9);
        g.add_edge(3, 5, 1, 0);
        g.add_edge(4, 5, 1, 0);
        assert_eq!(g.min_cost_flow(0, 5), -18);
        assert_eq!((g.flow(l1r1), g.flow(l1r2), g.flow(l2r1)), (0, 1, 1));
    }
}
