# Names a walker reads in lists: achievements (name and .description), challenge
# templates, and the kinds of notification they can switch on and off.

achievement-steps-1k = First Steps
    .description = Walk 1,000 verified steps in one day
achievement-steps-5k = Getting Going
    .description = Walk 5,000 verified steps in one day
achievement-steps-10k = Ten Thousand
    .description = Walk 10,000 verified steps in one day
achievement-steps-50k = Fifty Thousand Club
    .description = Walk 50,000 verified steps in total
achievement-steps-100k = Hundred Thousand Club
    .description = Walk 100,000 verified steps in total
achievement-streak-7 = Week Streak
    .description = Meet your daily goal 7 days in a row
achievement-streak-30 = Month Streak
    .description = Meet your daily goal 30 days in a row
achievement-streak-100 = Unstoppable
    .description = Meet your daily goal 100 days in a row
achievement-early-bird = Early Bird
    .description = Walk 2,000 steps before 07:00 local time
achievement-night-owl = Night Owl
    .description = Walk 2,000 steps after 22:00 local time
achievement-consistency-month = Consistent
    .description = Meet your daily goal on 25 of the last 30 days
achievement-first-redemption = First Reward
    .description = Redeem your coins for the first time
achievement-collector = Collector
    .description = Redeem 5 different products

challenge-template-daily-showdown = Daily Showdown
challenge-template-weekend-warrior = Weekend Warrior
challenge-template-workweek-hustle = Workweek Hustle
challenge-template-one-on-one = 7-day competition
challenge-template-custom = Challenge

notification-kind-coins-credited = Coins earned
notification-kind-day-held = A day held for review
notification-kind-review-decided = Review decisions
notification-kind-achievement-unlocked = Achievements
notification-kind-order-updated = Order updates
notification-kind-streak-at-risk = Streak reminders
notification-kind-friend-request = Friend requests
notification-kind-friend-accepted = New friends
notification-kind-team-joined = Joining a team
notification-kind-team-goal-reached = Team goals
notification-kind-challenge-invited = Challenge invitations
notification-kind-challenge-started = Challenges starting
notification-kind-challenge-overtaken = Overtaken in a challenge
notification-kind-challenge-ended = Challenges ending
notification-kind-challenge-result = Challenge results
notification-kind-gift-arrived = Gifts received
notification-kind-gift-settled = Gifts ready to spend
notification-kind-gift-reversed = Gifts returned or withdrawn
notification-kind-campaign-goal-reached = Donation goals
