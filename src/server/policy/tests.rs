use super::*;
use Action::*;
use RecordKind::*;

#[test]
fn navigation_follows_roles() {
    assert!(opens(Role::Admin, Area::Admin));
    assert!(!opens(Role::Manager, Area::Admin));
    assert!(!opens(Role::Support, Area::Leads));
    assert!(opens(Role::Support, Area::Tickets));
    assert!(!opens(Role::Client, Area::Pipeline));
}

#[test]
fn the_palette_offers_only_what_the_role_may_open() {
    let pages = |role: Role| -> Vec<&'static str> {
        crate::domain::user::destinations(&capabilities(role, Uuid::nil(), true))
            .into_iter()
            .map(|d| d.1)
            .collect()
    };
    let support = pages(Role::Support);
    assert!(support.contains(&"/tickets") && support.contains(&"/account"));
    assert!(
        !support
            .iter()
            .any(|p| p.starts_with("/admin") || p.starts_with("/pipeline"))
    );
    let sales = pages(Role::Sales);
    assert!(sales.contains(&"/pipeline/metrics") && !sales.contains(&"/pipeline/stages"));
    let admin = pages(Role::Admin);
    assert!(admin.contains(&"/admin/audit") && admin.contains(&"/pipeline/stages"));
    assert_eq!(pages(Role::Client), ["/account"]);
}

#[test]
fn the_sales_records_rules() {
    let me = Uuid::now_v7();
    let other = Uuid::now_v7();
    for role in [Role::SuperAdmin, Role::Admin, Role::Manager] {
        assert!(allows(role, me, Delete, Target::kind(Lead)));
        assert!(allows(role, me, Reassign, Target::owned(Account, other)));
        assert!(allows(role, me, Reopen, Target::kind(Opportunity)));
    }
    assert!(allows(Role::Sales, me, Create, Target::kind(Lead)));
    assert!(allows(Role::Sales, me, Update, Target::kind(Opportunity)));
    assert!(allows(Role::Sales, me, Reassign, Target::owned(Lead, me)));
    assert!(!allows(
        Role::Sales,
        me,
        Reassign,
        Target::owned(Lead, other)
    ));
    assert!(!allows(Role::Sales, me, Delete, Target::kind(Contact)));
    assert!(!allows(Role::Sales, me, Reopen, Target::kind(Opportunity)));

    assert!(allows(Role::Support, me, Read, Target::kind(Account)));
    assert!(!allows(Role::Support, me, Read, Target::kind(Lead)));
    assert!(!allows(Role::Support, me, Update, Target::kind(Contact)));
    assert!(allows(
        Role::Support,
        me,
        Create,
        Target::activity_on(Opportunity)
    ));
    assert!(!allows(
        Role::Support,
        me,
        Create,
        Target::activity_on(Lead)
    ));
    assert!(allows(
        Role::Support,
        me,
        Update,
        Target::task(Some(me), None)
    ));
    assert!(!allows(
        Role::Support,
        me,
        Update,
        Target::task(Some(other), None)
    ));
    assert!(!allows(Role::Client, me, Read, Target::kind(Account)));
}

fn staff(role: Role) -> Staff {
    Staff {
        user: crate::domain::user::CurrentUser {
            id: Uuid::now_v7(),
            email: "a@example.com".into(),
            name: "A".into(),
            role,
        },
        via: crate::server::principal::Via::Session {
            session_id: Uuid::now_v7(),
        },
        impersonator: None,
        reach: StaffReach::default(),
    }
}

#[test]
fn a_record_outside_sight_is_not_found_and_outside_edit_reach_is_forbidden() {
    let mut rep = staff(Role::Sales);
    let mate = Uuid::now_v7();
    let stranger = Uuid::now_v7();
    rep.reach = StaffReach {
        see: Reach::Team,
        edit: Reach::Own,
        team: vec![rep.user.id, mate],
        money: true,
    };
    let p = Principal::Staff(rep.clone());
    let me = rep.user.id;
    assert!(decide(&p, Read, Target::owned(Lead, mate)).is_ok());
    assert!(decide(&p, Update, Target::owned(Lead, me)).is_ok());
    assert_eq!(
        decide(&p, Update, Target::owned(Lead, mate))
            .unwrap_err()
            .status(),
        403
    );
    for action in [Read, Update] {
        assert_eq!(
            decide(&p, action, Target::owned(Opportunity, stranger))
                .unwrap_err()
                .status(),
            404
        );
    }
    // Kinds and listings are not particular records: the listing's query narrows them.
    assert!(decide(&p, Read, Target::kind(Lead)).is_ok());
    assert!(sight(&rep).is_some());
    // A contact is reached through the owner of its account too; a task through whoever does it.
    let contact = Target {
        account_owner_id: Some(mate),
        ..Target::owned(Contact, stranger)
    };
    assert!(decide(&p, Read, contact).is_ok());
    let task = Target {
        particular: true,
        ..Target::task(Some(me), None)
    };
    assert!(
        decide(
            &p,
            Update,
            Target {
                owner_id: Some(stranger),
                ..task
            }
        )
        .is_ok()
    );
    // Seeing every record adds nothing to a listing.
    assert!(sight(&staff(Role::Sales)).is_none());
}

#[test]
fn the_users_page_offers_what_the_policy_allows() {
    use crate::domain::admin::UserActions;
    let other = Uuid::now_v7();
    let admin = staff(Role::Admin);
    let sup = staff(Role::SuperAdmin);
    let nothing = UserActions::default();
    let everything = UserActions {
        access: true,
        roles: Role::STAFF.to_vec(),
        view_as: true,
    };
    assert_eq!(user_actions(&sup, other, Role::Admin, true), everything);
    // A super admin may change their own role; nobody deactivates or views as themselves.
    assert_eq!(
        user_actions(&sup, sup.user.id, Role::SuperAdmin, true),
        UserActions {
            roles: Role::STAFF.to_vec(),
            ..nothing.clone()
        }
    );
    assert_eq!(
        user_actions(&admin, other, Role::Sales, true),
        UserActions {
            access: true,
            roles: vec![Role::Manager, Role::Sales, Role::Support],
            view_as: true,
        }
    );
    assert_eq!(user_actions(&admin, other, Role::Admin, true), nothing);
    assert_eq!(
        user_actions(&admin, admin.user.id, Role::Admin, true),
        nothing
    );
    assert!(!user_actions(&admin, other, Role::Sales, false).view_as);
    let grant = |role: Role| capabilities(role, Uuid::nil(), true).grant;
    assert_eq!(grant(Role::SuperAdmin), Role::STAFF.to_vec());
    assert_eq!(
        grant(Role::Admin),
        [Role::Manager, Role::Sales, Role::Support]
    );
    assert!(grant(Role::Manager).is_empty() && grant(Role::Sales).is_empty());
    let takes = capabilities(Role::Sales, Uuid::nil(), true).ticket_roles;
    assert!(takes.contains(&Role::Support) && !takes.contains(&Role::Sales));
}

#[test]
fn who_manages_whom() {
    let other = Uuid::now_v7();
    let admin = staff(Role::Admin);
    let sup = staff(Role::SuperAdmin);
    let to = |r: Role| UserChange {
        role: Some(r),
        ..Default::default()
    };
    let off = UserChange {
        active: Some(false),
        ..Default::default()
    };
    let rename = UserChange {
        name: true,
        ..Default::default()
    };
    let security = UserChange {
        security: true,
        ..Default::default()
    };
    assert!(user_change(&admin, other, Role::Sales, &to(Role::Manager)).is_ok());
    assert!(user_change(&admin, other, Role::Sales, &off).is_ok());
    assert!(user_change(&admin, other, Role::Sales, &to(Role::Admin)).is_err());
    assert!(user_change(&admin, other, Role::Admin, &rename).is_ok());
    assert!(user_change(&admin, other, Role::Admin, &off).is_err());
    assert!(user_change(&admin, other, Role::Admin, &security).is_err());
    assert!(user_change(&admin, other, Role::SuperAdmin, &to(Role::Sales)).is_err());
    assert!(user_change(&admin, admin.user.id, Role::Admin, &to(Role::Sales)).is_err());
    assert!(user_change(&sup, other, Role::Admin, &to(Role::SuperAdmin)).is_ok());
    assert!(user_change(&sup, sup.user.id, Role::SuperAdmin, &to(Role::Admin)).is_ok());
    assert!(user_change(&sup, sup.user.id, Role::SuperAdmin, &off).is_err());
    assert!(user_change(&staff(Role::Manager), other, Role::Sales, &rename).is_err());
    assert!(user_create(&admin, Role::Support).is_ok());
    assert!(user_create(&admin, Role::Admin).is_err());
    assert!(user_create(&sup, Role::SuperAdmin).is_ok());
}

#[test]
fn who_may_view_as_whom() {
    let (me, them) = (Uuid::now_v7(), Uuid::now_v7());
    let may = |r: Role, s: Role| may_impersonate_user(r, me, s, them).is_ok();
    for s in [Role::Manager, Role::Sales, Role::Support] {
        assert!(may(Role::Admin, s) && may(Role::SuperAdmin, s));
    }
    assert!(!may(Role::Admin, Role::Admin));
    assert!(!may(Role::Admin, Role::SuperAdmin));
    assert!(may(Role::SuperAdmin, Role::Admin));
    assert!(!may(Role::SuperAdmin, Role::SuperAdmin));
    assert!(!may(Role::Manager, Role::Sales));
    assert!(may_impersonate_user(Role::SuperAdmin, me, Role::Admin, me).is_err());
    assert!(may_impersonate_contact(Role::Admin).is_ok());
    assert!(may_impersonate_contact(Role::Manager).is_err());
}

#[test]
fn nobody_signed_in_is_401_and_a_refusal_is_403() {
    let err = authorize(&Principal::Anonymous, Read, Target::kind(Lead)).unwrap_err();
    assert_eq!(err.status(), 401);
}
