// Drives gameservices' API v3 with the official Kaltura Node client, unchanged (JSON format), and prints what
// each call answered as one JSON document for tests/e2e/test_v3_clients.py to check against API v1.
//
// Usage: node v3_scenario.js '{"serviceUrl", "partnerId", "secret", "leaderboardId", "neighbour",
//                             "updatedUser", "updatedScore", "deletedUser"}'
'use strict';

const kaltura = require('kaltura-client');

const input = JSON.parse(process.argv[2]);

// The client logs every request to stdout by default; stdout carries the answers only.
class QuietLogger extends kaltura.ILogger {
	log() {}
	error() {}
	debug() {}
}

function newClient() {
	const config = new kaltura.Configuration();
	config.serviceUrl = input.serviceUrl;
	config.timeout = 20000;
	config.setLogger(new QuietLogger());
	return new kaltura.Client(config);
}

// A failed call rejects with the KalturaAPIException object; keep it as the call's answer.
function settle(promise) {
	return promise.then((result) => result, (error) => error);
}

function filter(properties) {
	return new kaltura.objects.UserScorePropertiesFilter({
		gameObjectId: input.leaderboardId,
		gameObjectType: kaltura.enums.GameObjectType.LEADERBOARD,
		...properties,
	});
}

async function main() {
	const client = newClient();
	const out = {};
	const ks = await kaltura.services.session
		.start(input.secret, 'node-admin', kaltura.enums.SessionType.ADMIN, input.partnerId)
		.execute(client);
	out.ks = ks;
	client.setKs(ks);
	const pager = new kaltura.objects.FilterPager({ pageSize: 25, pageIndex: 1 });
	out.list = await kaltura.services.userScore.listAction(filter({}), pager).execute(client);
	out.neighbourhood = await kaltura.services.userScore
		.listAction(filter({ userIdEqual: input.neighbour, placesAboveUser: 1, placesBelowUser: 1 }))
		.execute(client);
	out.update = await kaltura.services.userScore
		.update(input.leaderboardId, kaltura.enums.GameObjectType.LEADERBOARD, input.updatedUser, input.updatedScore)
		.execute(client);
	out.delete = await kaltura.services.userScore
		.deleteAction(input.leaderboardId, kaltura.enums.GameObjectType.LEADERBOARD, input.deletedUser)
		.execute(client);
	out.deleteAgain = await settle(
		kaltura.services.userScore
			.deleteAction(input.leaderboardId, kaltura.enums.GameObjectType.LEADERBOARD, input.deletedUser)
			.execute(client)
	);
	out.badType = await settle(
		kaltura.services.userScore.listAction(filter({ gameObjectType: '9' })).execute(client)
	);
	out.badSecret = await settle(
		kaltura.services.session.start('0'.repeat(32), '', kaltura.enums.SessionType.ADMIN, input.partnerId).execute(newClient())
	);
	// A multirequest whose second call uses the KS the first one started.
	out.multirequest = await kaltura.services.session
		.start(input.secret, 'node-multi', kaltura.enums.SessionType.ADMIN, input.partnerId)
		.add(kaltura.services.userScore.listAction(filter({}), pager).setKs('{1:result}'))
		.execute(newClient());
	out.end = await settle(kaltura.services.session.end().execute(client));
	out.afterEnd = await settle(kaltura.services.userScore.listAction(filter({})).execute(client));
	process.stdout.write(JSON.stringify(out));
}

main().catch((error) => {
	process.stderr.write(String(error && error.stack ? error.stack : JSON.stringify(error)));
	process.exit(1);
});
