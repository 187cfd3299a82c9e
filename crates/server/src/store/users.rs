//! Users: CRUD and lookups by userid and mobile.

use crate::store::db::{Connection, OptionalExtension, params};

use super::{Store, StoreError};
use crate::domain::User;

fn user_from_row(row: &crate::store::db::Row<'_>) -> crate::store::db::Result<User> {
    Ok(User {
        userid: row.get(0)?,
        name: row.get(1)?,
        mobile: row.get(2)?,
    })
}

pub(super) fn get(conn: &Connection, userid: &str) -> Result<Option<User>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT userid, name, mobile FROM users WHERE userid = ?1")?
        .query_row([userid], user_from_row)
        .optional()?)
}

pub(super) fn by_mobile(conn: &Connection, mobile: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT userid FROM users WHERE mobile = ?1 AND mobile <> '' LIMIT 1")?
        .query_row([mobile], |row| row.get(0))
        .optional()?)
}

pub(super) fn all(conn: &Connection) -> Result<Vec<User>, StoreError> {
    let mut statement =
        conn.prepare_cached("SELECT userid, name, mobile FROM users ORDER BY userid")?;
    let users = statement
        .query_map([], user_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(users)
}

pub(super) fn insert(conn: &Connection, user: &User, now: i64) -> Result<(), StoreError> {
    let inserted = conn.execute(
        "INSERT INTO users (userid, name, mobile, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (userid) DO NOTHING",
        params![user.userid, user.name, user.mobile, now],
    )?;
    if inserted == 0 {
        return Err(StoreError::Conflict(format!(
            "user {} exists already",
            user.userid
        )));
    }
    Ok(())
}

/// A userid must be writable in `chatid` and `visible_to_user` (`|`-separated) and must not be
/// taken for a special (`@all`, `@all_group`, ...).
fn check(user: &User) -> Result<(), StoreError> {
    let userid = &user.userid;
    if userid.trim().is_empty() || userid.contains('|') || userid.starts_with('@') {
        return Err(StoreError::Invalid(
            "userid must be non-empty, must not contain '|' or start with '@'".to_owned(),
        ));
    }
    Ok(())
}

impl Store {
    /// Every user, by userid.
    pub async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        self.read(all).await
    }

    /// One user.
    pub async fn get_user(&self, userid: &str) -> Result<User, StoreError> {
        let userid = userid.to_owned();
        self.read(move |conn| {
            get(conn, &userid)?.ok_or_else(|| StoreError::not_found("user", &userid))
        })
        .await
    }

    /// Adds a user.
    pub async fn create_user(&self, user: User, now: i64) -> Result<User, StoreError> {
        check(&user)?;
        self.write(move |conn| {
            insert(conn, &user, now)?;
            Ok(user)
        })
        .await
    }

    /// Changes a user's name and/or mobile.
    pub async fn update_user(
        &self,
        userid: &str,
        name: Option<String>,
        mobile: Option<String>,
    ) -> Result<User, StoreError> {
        let userid = userid.to_owned();
        self.write(move |conn| {
            let mut user =
                get(conn, &userid)?.ok_or_else(|| StoreError::not_found("user", &userid))?;
            if let Some(name) = name {
                user.name = name;
            }
            if let Some(mobile) = mobile {
                user.mobile = mobile;
            }
            conn.execute(
                "UPDATE users SET name = ?2, mobile = ?3 WHERE userid = ?1",
                params![user.userid, user.name, user.mobile],
            )?;
            Ok(user)
        })
        .await
    }

    /// Removes a user, their memberships, subscriptions and single chats.
    pub async fn delete_user(&self, userid: &str) -> Result<(), StoreError> {
        let userid = userid.to_owned();
        self.write(move |conn| {
            let deleted = conn.execute("DELETE FROM users WHERE userid = ?1", [&userid])?;
            if deleted == 0 {
                return Err(StoreError::not_found("user", &userid));
            }
            conn.execute("DELETE FROM chat_members WHERE userid = ?1", [&userid])?;
            conn.execute("DELETE FROM subscriptions WHERE userid = ?1", [&userid])?;
            conn.execute(
                "DELETE FROM chats WHERE chatid IN (SELECT chatid FROM single_chats WHERE userid = ?1)",
                [&userid],
            )?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userids_that_chatid_could_not_name_are_refused() {
        let user = |userid: &str| User {
            userid: userid.to_owned(),
            name: "n".to_owned(),
            mobile: String::new(),
        };
        assert!(check(&user("zhangsan")).is_ok());
        for bad in ["", " ", "a|b", "@all"] {
            assert!(check(&user(bad)).is_err(), "{bad:?}");
        }
    }
}
