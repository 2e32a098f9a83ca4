module coxswain.local/stack/mattermost

go 1.26

require (
	github.com/mattermost/mattermost/server/public v0.1.22
	github.com/mattermost/mattermost/server/v8 v8.0.0-20260130160320-3321db82c3e7
)

replace (
	github.com/olekukonko/tablewriter => github.com/olekukonko/tablewriter v0.0.5
	github.com/richardlehane/msoleps => github.com/richardlehane/msoleps v1.0.4
)
