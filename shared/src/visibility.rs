//! What one person may see of another: the one gate every response that carries another
//! person's data goes through (boards, friend lists, team pages, challenge standings,
//! gifts, reports, exports). It reads the facts (who the viewer is to the subject,
//! blocks either way, the subject's `steps_visibility` and `leaderboard_visibility`) in
//! one statement and decides with one table, `sight` (docs/design.md, "Who sees what").
//!
//! Two types make it the only way: a `Person` (alias and avatar) is made only here, and
//! another person's step count reaches a response only as `Visible<i64>`, which only a
//! `Sight` that allows it fills (tests/api/architecture.rs checks both).

use std::collections::HashMap;

use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::Result;

crate::text_enum! {
    /// Who sees a person's steps.
    pub enum StepsVisibility {
        Friends = "friends",
        Nobody = "nobody",
    }
}

crate::text_enum! {
    /// Whether a person appears on the global boards, under their alias.
    pub enum BoardVisibility {
        /// To everyone.
        Public = "public",
        /// To their friends only.
        Friends = "friends",
        /// Never (their own rank is still theirs to see).
        Hidden = "hidden",
    }
}

/// How a person appears to other people: their alias (or a default one made from their
/// first name and last initial) and avatar. Never their full name or email.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Person {
    pub id: Uuid,
    pub alias: String,
    pub avatar_url: Option<String>,
}

impl Person {
    /// Someone whose account is gone, or who blocked the viewer (or whom the viewer
    /// blocked): present where they must be (a race they ran), named by no one.
    pub fn unnamed(id: Uuid) -> Self {
        Person {
            id,
            alias: "A walker".into(),
            avatar_url: None,
        }
    }
}

/// Who the viewer is to the subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Myself,
    Friend,
    /// In the same team, or competing in the same challenge (the channel that shows them
    /// together says so: `of_among`).
    Teammate,
    Stranger,
    /// The viewer blocked the subject: they know whom they blocked, and see nothing more.
    BlockedByViewer,
    /// The subject blocked the viewer: the viewer sees nothing of them.
    BlockedViewer,
    /// The subject's account is deleted or deactivated.
    Gone,
}

/// What the viewer may see of the subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sight {
    /// Their alias and avatar (else `Person::unnamed`).
    pub person: bool,
    /// Their step counts, wherever they appear (friend board, standings, team pages).
    pub steps: bool,
    /// Their entry on a global board (an entry is a step total: never without `steps`
    /// being theirs to give).
    pub on_boards: bool,
}

/// The rule, as a table (docs/design.md has it in words):
///
/// | viewer is ... | steps: friends          | steps: nobody |
/// |---------------|-------------------------|---------------|
/// | themselves    | everything              | everything    |
/// | a friend      | person, steps; boards unless hidden | person only |
/// | a teammate (same team or race) | person, steps; boards if public | person only |
/// | a stranger    | person; boards if public | person only  |
/// | someone they blocked | person only      | person only   |
/// | someone who blocked them, or gone | nothing | nothing  |
pub fn sight(relation: Relation, steps: StepsVisibility, board: BoardVisibility) -> Sight {
    let shares = steps == StepsVisibility::Friends;
    match relation {
        Relation::Myself => Sight {
            person: true,
            steps: true,
            on_boards: true,
        },
        Relation::Friend => Sight {
            person: true,
            steps: shares,
            on_boards: shares && board != BoardVisibility::Hidden,
        },
        Relation::Teammate => Sight {
            person: true,
            steps: shares,
            on_boards: shares && board == BoardVisibility::Public,
        },
        Relation::Stranger => Sight {
            person: true,
            steps: false,
            on_boards: shares && board == BoardVisibility::Public,
        },
        Relation::BlockedByViewer => Sight {
            person: true,
            steps: false,
            on_boards: false,
        },
        Relation::BlockedViewer | Relation::Gone => Sight {
            person: false,
            steps: false,
            on_boards: false,
        },
    }
}

/// A number about another person, present only where their `Sight` allows it: `null` in
/// a response otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(transparent)]
pub struct Visible<T>(Option<T>);

impl<T> Visible<T> {
    pub fn hidden() -> Self {
        Visible(None)
    }

    pub fn get(&self) -> Option<&T> {
        self.0.as_ref()
    }

    pub fn is_shown(&self) -> bool {
        self.0.is_some()
    }
}

impl Sight {
    /// An admin at the console (a review, a dispute): every number.
    pub const EVERYTHING: Sight = Sight {
        person: true,
        steps: true,
        on_boards: true,
    };
    pub const NOTHING: Sight = Sight {
        person: false,
        steps: false,
        on_boards: false,
    };

    /// `steps` if the viewer may see the subject's steps.
    pub fn steps<T>(&self, steps: T) -> Visible<T> {
        Visible(self.steps.then_some(steps))
    }

    /// A board entry's total, if the subject is on the boards this viewer sees.
    pub fn board_steps<T>(&self, steps: T) -> Visible<T> {
        Visible(self.on_boards.then_some(steps))
    }

    /// The viewer can learn the subject's steps somewhere: on a page or on a board.
    pub fn learns_steps(&self) -> bool {
        self.steps || self.on_boards
    }
}

/// The sight of a group's sum (a team's total, score or goal progress) for a viewer who
/// cannot learn the steps of `hidden` of the people who contributed to it: exactly one,
/// and the sum less everything else the viewer sees would be that person's steps.
pub fn of_sum(hidden: usize) -> Sight {
    if hidden == 1 {
        Sight::NOTHING
    } else {
        Sight::EVERYTHING
    }
}

/// The person a viewer with `sight` sees, from the account's own fields (for a channel
/// that reads them with its rows): their alias (chosen, unless an admin hid it, else the
/// default from their name) and avatar, or `Person::unnamed`.
pub fn person(
    sight: Sight,
    id: Uuid,
    chosen_alias: Option<String>,
    full_name: &str,
    avatar_url: Option<String>,
) -> Person {
    if sight.person {
        Person {
            id,
            alias: chosen_alias.unwrap_or_else(|| crate::users::default_alias(full_name)),
            avatar_url,
        }
    } else {
        Person::unnamed(id)
    }
}

/// `sight` from the stored settings' text (an unknown value hides, never shows).
pub fn sight_of(relation: Relation, steps: &str, board: &str) -> Sight {
    sight(
        relation,
        StepsVisibility::parse(steps).unwrap_or(StepsVisibility::Nobody),
        BoardVisibility::parse(board).unwrap_or(BoardVisibility::Hidden),
    )
}

/// One subject as the viewer sees them.
#[derive(Debug, Clone)]
pub struct Seen {
    pub person: Person,
    pub relation: Relation,
    pub sight: Sight,
    /// What they chose to show (the sight follows from it and the relation).
    pub steps: StepsVisibility,
    pub board: BoardVisibility,
}

/// What `visibility_facts(viewer, subject)` returns (a statement that carries another
/// person's data joins it and hands each row's facts here).
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub live: Option<bool>,
    pub friend: Option<bool>,
    pub blocked_by_viewer: Option<bool>,
    pub blocked_viewer: Option<bool>,
    pub steps_visibility: Option<String>,
    pub board_visibility: Option<String>,
    pub alias: Option<String>,
    pub full_name: Option<String>,
    pub avatar_url: Option<String>,
}

impl Facts {
    /// Who the viewer is to the subject these facts are about (`myself`: the same
    /// account); no facts at all: the account is gone.
    fn relation(&self, myself: bool) -> Relation {
        if myself {
            Relation::Myself
        } else if self.live != Some(true) {
            Relation::Gone
        } else if self.blocked_viewer == Some(true) {
            Relation::BlockedViewer
        } else if self.blocked_by_viewer == Some(true) {
            Relation::BlockedByViewer
        } else if self.friend == Some(true) {
            Relation::Friend
        } else {
            Relation::Stranger
        }
    }

    /// What the subject chose to show (an unknown value hides, never shows).
    fn choices(&self) -> (StepsVisibility, BoardVisibility) {
        (
            StepsVisibility::parse(self.steps_visibility.as_deref().unwrap_or_default())
                .unwrap_or(StepsVisibility::Nobody),
            BoardVisibility::parse(self.board_visibility.as_deref().unwrap_or_default())
                .unwrap_or(BoardVisibility::Hidden),
        )
    }

    /// The sight these facts give, for a subject the viewer is shown `together` with (a
    /// teammate: `of_among`) or not.
    pub fn sight(&self, myself: bool, together: bool) -> Sight {
        let relation = match self.relation(myself) {
            Relation::Stranger if together => Relation::Teammate,
            relation => relation,
        };
        let (steps, board) = self.choices();
        sight(relation, steps, board)
    }

    /// How `viewer` sees `subject` with these facts.
    pub fn seen(self, viewer: Uuid, subject: Uuid) -> Seen {
        let relation = self.relation(subject == viewer);
        let (steps, board) = self.choices();
        let sight = sight(relation, steps, board);
        let person = person(
            sight,
            subject,
            self.alias,
            self.full_name.as_deref().unwrap_or_default(),
            self.avatar_url,
        );
        Seen {
            person,
            relation,
            sight,
            steps,
            board,
        }
    }
}

/// Every subject in `subjects` as `viewer` sees them, in one statement. A subject who is
/// not there at all is `Gone`.
pub async fn of(
    conn: &mut PgConnection,
    viewer: Uuid,
    subjects: &[Uuid],
) -> Result<HashMap<Uuid, Seen>> {
    let rows = crate::db_query!(
        r#"SELECT s.id AS "id!", f.live, f.friend, f.blocked_by_viewer, f.blocked_viewer,
                  f.steps_visibility, f.board_visibility, f.alias, f.full_name, f.avatar_url
           FROM UNNEST($2::uuid[]) AS s (id)
           LEFT JOIN LATERAL visibility_facts($1, s.id) f ON true"#,
        viewer,
        subjects
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let facts = Facts {
                live: r.live,
                friend: r.friend,
                blocked_by_viewer: r.blocked_by_viewer,
                blocked_viewer: r.blocked_viewer,
                steps_visibility: r.steps_visibility,
                board_visibility: r.board_visibility,
                alias: r.alias,
                full_name: r.full_name,
                avatar_url: r.avatar_url,
            };
            (r.id, facts.seen(viewer, r.id))
        })
        .collect())
}

/// `of`, for people the viewer is shown together with: the members of their team, the
/// other competitors of a challenge they are in. The caller has checked the viewer is in
/// that group; a stranger there is a teammate, who sees steps shared with friends.
pub async fn of_among(
    conn: &mut PgConnection,
    viewer: Uuid,
    group: &[Uuid],
) -> Result<HashMap<Uuid, Seen>> {
    let mut seen = of(conn, viewer, group).await?;
    for subject in seen.values_mut() {
        if subject.relation == Relation::Stranger {
            subject.relation = Relation::Teammate;
            subject.sight = sight(Relation::Teammate, subject.steps, subject.board);
        }
    }
    Ok(seen)
}

/// The people of `subjects` the viewer may see (an alias and an avatar), in no order;
/// those who blocked the viewer and accounts that are gone are left out.
pub async fn people(
    conn: &mut PgConnection,
    viewer: Uuid,
    subjects: &[Uuid],
) -> Result<Vec<Person>> {
    Ok(of(conn, viewer, subjects)
        .await?
        .into_values()
        .filter(|seen| seen.sight.person)
        .map(|seen| seen.person)
        .collect())
}

/// People as an admin sees them (the console, reports): every live account by its alias.
/// Admins see no one's steps through this; their own screens read what they need.
pub async fn for_admin(conn: &mut PgConnection, subjects: &[Uuid]) -> Result<Vec<Person>> {
    let rows = crate::db_query!(
        r#"SELECT u.id, u.full_name, u.profile_picture_url,
                  CASE WHEN p.alias_hidden_at IS NULL THEN p.alias END AS alias
           FROM users u LEFT JOIN social_profiles p ON p.user_id = u.id
           WHERE u.id = ANY($1) AND u.deleted_at IS NULL AND u.is_active"#,
        subjects
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            person(
                Sight::EVERYTHING,
                r.id,
                r.alias,
                &r.full_name,
                r.profile_picture_url,
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use BoardVisibility as B;
    use Relation as R;
    use StepsVisibility as S;

    #[test]
    fn the_table() {
        let all = Sight {
            person: true,
            steps: true,
            on_boards: true,
        };
        for s in [S::Friends, S::Nobody] {
            for b in [B::Public, B::Friends, B::Hidden] {
                assert_eq!(sight(R::Myself, s, b), all);
                for r in [R::BlockedViewer, R::Gone] {
                    let nothing = sight(r, s, b);
                    assert!(!nothing.person && !nothing.steps && !nothing.on_boards);
                }
                let blocked = sight(R::BlockedByViewer, s, b);
                assert!(blocked.person && !blocked.steps && !blocked.on_boards);
                // Nobody's steps are nobody's: on no board, in no standings.
                for r in [R::Friend, R::Stranger] {
                    let seen = sight(r, S::Nobody, b);
                    assert!(seen.person && !seen.steps && !seen.on_boards, "{r:?} {b:?}");
                }
                // Strangers never see steps outside a public board.
                assert!(!sight(R::Stranger, s, b).steps);
            }
        }
        assert!(sight(R::Friend, S::Friends, B::Friends).on_boards);
        assert!(!sight(R::Friend, S::Friends, B::Hidden).on_boards);
        assert!(sight(R::Stranger, S::Friends, B::Public).on_boards);
        assert!(!sight(R::Stranger, S::Friends, B::Friends).on_boards);
        assert_eq!(
            sight(R::Friend, S::Friends, B::Hidden).steps(5),
            Visible(Some(5))
        );
        assert_eq!(
            sight(R::Stranger, S::Friends, B::Public).steps(5),
            Visible(None)
        );
    }
}
