//! Reports waiting to be sent. While the console cannot be reached the agent keeps the changes
//! it sees, oldest first, so that a failover during an outage still reaches the history with
//! the time the agent saw it. Reports that repeat the one before them are not kept twice (only
//! the newest of a run is); when the box is full the oldest goes, and the agent says so.

use app::domain::ha::AgentReport;
use std::collections::VecDeque;

pub struct Outbox {
    reports: VecDeque<AgentReport>,
    capacity: usize,
    dropped: u64,
}

/// Whether two reports say the same (their numbers and times apart).
fn same(a: &AgentReport, b: &AgentReport) -> bool {
    a.keepalived_running == b.keepalived_running && a.interval_ms == b.interval_ms && a.havips == b.havips
}

impl Outbox {
    pub fn new(capacity: usize) -> Outbox {
        Outbox { reports: VecDeque::new(), capacity: capacity.max(1), dropped: 0 }
    }

    pub fn push(&mut self, report: AgentReport) {
        if self.reports.back().is_some_and(|last| same(last, &report)) {
            return;
        }
        if self.reports.len() == self.capacity {
            self.reports.pop_front();
            self.dropped += 1;
            tracing::warn!(
                dropped = self.dropped,
                "the console is unreachable and the outbox is full: dropped the oldest change"
            );
        }
        self.reports.push_back(report);
    }

    pub fn front(&self) -> Option<&AgentReport> {
        self.reports.front()
    }

    pub fn pop(&mut self) {
        self.reports.pop_front();
    }

    /// How many reports wait.
    pub fn waiting(&self) -> usize {
        self.reports.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::ha::HavipObservation;
    use app::domain::time::Timestamp;

    fn report(seq: u64, holds: bool) -> AgentReport {
        AgentReport {
            seq,
            observed_at: Timestamp::from_micros(seq as i64),
            interval_ms: 2000,
            keepalived_running: true,
            havips: vec![HavipObservation {
                havip_id: "havip-aaaaaaaa".into(),
                holds_vip: holds,
                vrrp_state: None,
                config_revision: None,
            }],
        }
    }

    #[test]
    fn keeps_each_change_with_the_time_it_was_seen() {
        let mut outbox = Outbox::new(8);
        outbox.push(report(1, true));
        outbox.push(report(2, true));
        outbox.push(report(3, false));
        outbox.push(report(4, false));
        assert_eq!(outbox.waiting(), 2);
        assert_eq!(outbox.front().map(|r| r.seq), Some(1), "the first of a run: when the change was seen");
        outbox.pop();
        assert_eq!(outbox.front().map(|r| (r.seq, r.havips[0].holds_vip)), Some((3, false)));
    }

    #[test]
    fn a_full_box_drops_the_oldest() {
        let mut outbox = Outbox::new(2);
        for seq in 1..=3 {
            outbox.push(report(seq, seq % 2 == 0));
        }
        assert_eq!(outbox.waiting(), 2);
        assert_eq!(outbox.front().map(|r| r.seq), Some(2), "the oldest went");
    }
}
