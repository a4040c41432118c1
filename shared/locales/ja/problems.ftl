problem-status-400 = 不正なリクエスト
problem-status-401 = 未ログイン
problem-status-403 = 許可されていません
problem-status-404 = 見つかりません
problem-status-405 = 許可されていないメソッド
problem-status-409 = 競合
problem-status-413 = リクエストが大きすぎます
problem-status-422 = 受け付けられないリクエスト
problem-status-429 = リクエストが多すぎます
problem-status-500 = 問題が発生しました
problem-status-503 = 一時的に利用できません
problem-bad-request = リクエストを読み取れませんでした：{$reason}
problem-validation-failed = リクエストに無効な項目があります。
problem-payload-too-large = リクエスト本文が64 KiBを超えています。
problem-unauthorized = 有効なアクセストークンが必要です。
problem-invalid-credentials = メールアドレスまたはパスワードが正しくありません。
problem-invalid-refresh-token = リフレッシュトークンが無効、期限切れ、または使用済みです。
problem-invalid-id-token = IDトークンを確認できませんでした。
problem-invalid-signature = Webhookの署名が本文と一致しません。
problem-forbidden = この操作は許可されていません。
problem-not-found = このリソースは存在しません。
problem-method-not-allowed = このパスで使えるのは{$allow}だけです。
problem-too-many-requests = 試行が多すぎます。{$seconds}秒後にもう一度お試しください。
problem-service-unavailable = 必要なサービスが一時的に利用できません。しばらくしてからお試しください。
problem-internal = 予期しないエラーが発生しました。
problem-account-day-held = { $whose ->
        [theirs] 相手のアカウント
        [participant] 参加者のアカウント
       *[yours] あなたのアカウント
    }に確認中の日があるため、決まるまでコインは移動できません。
problem-account-exists = このサインインのアカウントはすでにあります。
problem-account-gone = { $whose ->
        [theirs] 相手のアカウント
        [participant] 参加者のアカウント
       *[yours] あなたのアカウント
    }はもうありません。
problem-account-too-new = 他の人にコインを送れるのは、作成から{$days}日以上で歩数の確認済みの日が{$verified_days}日あるアカウントだけです。
problem-account-under-review = { $whose ->
        [theirs] 相手のアカウント
        [participant] 参加者のアカウント
       *[yours] あなたのアカウント
    }は確認中のため、決まるまでコインは移動できません。
problem-admin-exists = 最初の管理者はすでにいます。新しい管理者は、別の管理者が承認する変更リクエストで追加します（PATCH /v1/admin/users/{"{"}id{"}"}）。
problem-already-appealed = この記録はすでに異議申し立て済みです。
problem-already-decided = この変更リクエストはすでに処理済みです（{$status}）。
problem-already-friends = すでに友達です。
problem-already-handled = この報告はすでに対応済みです。
problem-already-member = すでにこのチームのメンバーです。
problem-already-paid = この団体のこの月はすでに支払い済みです。
problem-already-reviewed = この確認はすでに完了しています（{$status}）。
problem-already-verified = メールアドレスはすでに確認済みです。
problem-below-minimum-payout = {$cents}セントは最低支払額{$minimum}に満たないため、翌月に繰り越されます。
problem-campaign-closed = このキャンペーンは現在寄付を受け付けていません。
problem-campaign-not-draft = 開始できるのは下書きのキャンペーンだけです。
problem-challenge-finished = このチャレンジはすでに精算済みか中止されています。
problem-challenge-started = チャレンジは始まっている（または終わっている）ため、中止できません。
problem-challenge-undecided = チャレンジ内の日がまだ確認待ちです。先に判断してください。
problem-change-request-expired = この変更リクエストは期限切れです（72時間）。もう一度依頼してください。
problem-email-taken = このメールアドレスのアカウントはすでにあります。
problem-email-taken-link-sign-in = このメールアドレスのアカウントがあります。そのパスワードでサインインして、このサインインを連携してください。
problem-email-unverified = コインを交換する前にメールアドレスを確認してください。確認用のリンクを送りました。
problem-email-unverified-transfers = 他の人にコインを送る前にメールアドレスを確認してください。
problem-friend-limit = { $whose ->
        [theirs] 相手の
       *[yours] あなたの
    }友達はすでに{$limit}人で、これ以上は増やせません。
problem-friendship-too-new = コインを送れるのは、友達になって{$days}日以上の相手だけです。
problem-gift-limit-reached = 過去24時間に{$limit}件のギフトを送りました。これが上限です。
problem-gift-not-pending = 取り消せるのは保留中のギフトだけです。このギフトはすでに確定したか取り消されています。
problem-idempotency-key-reused = このIdempotency-Keyは別のリクエストで使われています。
problem-insufficient-coins = コインが足りません。
problem-invalid-code = この招待リンクは無効です。
problem-invalid-mfa-code = コードが正しくないか、すでに使われています。認証アプリに表示されている現在のコードを入力してください。
problem-invalid-push-token = プッシュ通知サービスがこのトークンを拒否しました。
problem-invalid-token = このリンクは無効、使用済み、または期限切れです。新しいリンクを依頼してください。
problem-invalid-transition = {$from}の注文は{$to}にできません。
problem-invitation-closed = この招待は受け付けを終了しました。期限切れ、回答済み、またはチャレンジが始まったか中止されています。
problem-last-admin = 最後の有効な管理者です。先に別の管理者を追加してください。
problem-mfa-already-enrolled = このアカウントには認証アプリがすでに設定されています。
problem-mfa-not-enrolled = このアカウントにはまだ認証アプリが設定されていません（POST /v1/me/mfa/totp）。
problem-mfa-not-started = 先に認証アプリの設定を始めてください（POST /v1/me/mfa/totp）。
problem-mfa-required = 管理者用の操作には2段階目の認証が必要です。認証アプリを設定するか（POST /v1/me/mfa/totp）、そのコードでサインインしてください（POST /v1/auth/mfa）。
problem-month-not-over = 月の支払いはその月が終わってから行われます。
problem-monthly-cap-reached = ここで一人が集められるのは月に{$cap}セントまでです。今月の残りは{$left}です。
problem-monthly-gift-limit-reached = ギフトは30日間で{$limit}コインまでです。残りは{$left}です。
problem-not-allowed-cancel-challenge = チャレンジを中止できるのは作成者だけです。
problem-not-allowed-invite-links = 招待リンクを作れるのはチームのオーナーと管理者だけです。
problem-not-allowed-remove-member = メンバーを外せるのはオーナー（メンバーについては管理者も）だけです。抜けるときは退出してください。
problem-not-allowed-team-edit = チームを変更できるのはオーナーと管理者だけです。
problem-not-allowed-team-owner = これができるのはチームのオーナーだけです。
problem-not-appealable = 異議を申し立てられるのは保留中または却下された記録だけです。
problem-not-friends = コインを送れるのは友達だけです。
problem-out-of-stock = この商品の在庫が足りません。
problem-out-of-stock-left = {$product}の在庫は残り{$left}個です。
problem-outdated = この確認の後に記録が変わりました。最新の確認を見てください。
problem-own-account-change = 管理者はここで自分のアカウントを変更できません。別の管理者に依頼してください。
problem-own-account-coins = 管理者は自分のコインを調整できません。別の管理者に依頼してください。
problem-own-account-orders = 管理者は自分の注文を変更できません。別の管理者に依頼してください。
problem-own-account-reports = 管理者は自分に関する報告を扱えません。別の管理者に依頼してください。
problem-own-account-review = 管理者は自分の歩数記録を確認できません。別の管理者に依頼してください。
problem-own-request = この変更を依頼したのはあなたです。別の管理者の承認が必要です。
problem-payout-not-held = このチャレンジには管理者を待っている支払いはありません。
problem-purse-exhausted = スポンサーの資金は残り{$cents}セントです。コインを減らしてください。
problem-recently-promoted = 管理者が変更を承認できるのは、管理者になって7日後からです。
problem-recipient-gift-limit-reached = 相手は24時間に受け取れる上限までギフトを受け取りました。明日お試しください。
problem-shared-account = 端末、電話番号、配送先住所を共有するアカウント同士ではコインを送れません。
problem-stake-limit-reached = 過去7日間に{$limit}件の賭けありチャレンジに参加しました。これが上限です。
problem-stake-too-large = 賭け金は利用可能なコインの4分の1（{$quarter}）まで、かつ{$max}までです。
problem-stakes-not-available = お住まいの国ではコインを賭けられません（またはプロフィールに国がありません）。賭けなしのチャレンジは利用できます。
problem-team-full = この{ $kind ->
        [club] クラブ
       *[team] チーム
    }のメンバーは{$limit}人で、これ以上は増やせません。
problem-team-limit = すでに{$limit}つの{ $kind ->
        [club] クラブ
       *[team] チーム
    }に参加しており、これ以上は参加できません。
problem-timezone-change-too-soon = タイムゾーンを変更してから24時間たっていません。{$after}以降に再度変更できます。
problem-too-many-challenges = すでに{$limit}件のチャレンジに参加しています。先に1つ終えてください。
problem-too-many-invites = 招待リンクがすでに10件あります。1つ取り消すか、期限切れになるのを待ってください。
problem-transfer-limit-reached = { $what ->
        [recipient] 一人が受け取れる
        [pair] 二人の間で動かせる
       *[you] あなたが動かせる
    }コインは{$days}日間で{$limit}までです。
