//! Warnings about discounts that fell back, said once each with the model orders they concern.

/// Discount fallbacks, gathered so that each is said once: every model of order ≥ n shares the order-n
/// discounts, so the same fallback would otherwise repeat for every higher-order model.
#[derive(Default)]
pub(crate) struct Fallbacks {
    /// (what, why) → the model orders it applied to, in the order first seen.
    seen: Vec<((String, String), Vec<usize>)>,
}

impl Fallbacks {
    /// `why` applied to the model of `order` among `what` ("mkn models", "guessing predictors").
    pub(crate) fn note(&mut self, what: &str, why: &str, order: usize) {
        let key = (what.to_string(), why.to_string());
        match self.seen.iter_mut().find(|(k, _)| *k == key) {
            Some((_, orders)) => orders.push(order),
            None => self.seen.push((key, vec![order])),
        }
    }

    /// One line per fallback: `mkn models of orders 1–8: <why>`.
    pub(crate) fn warnings(self) -> Vec<String> {
        self.seen
            .into_iter()
            .map(|((what, why), orders)| {
                let which = match (orders.first(), orders.last()) {
                    (Some(a), Some(b)) if a == b => format!("order {a}"),
                    (Some(a), Some(b)) => format!("orders {a}–{b}"),
                    _ => String::new(),
                };
                format!("{what} of {which}: {why}")
            })
            .collect()
    }
}
